// Oracle for the conformance tests: llama.cpp's own chat template + output parser.
//
// Reads one JSON object on stdin:
//   {template, bos_token, eos_token, tools: [OpenAI function tools], messages: [...],
//    enable_thinking?: bool, outputs: [raw strings]}
// Applies the template (tool_choice auto, reasoning_format auto, parallel_tool_calls true)
// and parses every output with is_partial = false. Prints one JSON object on stdout:
//   {format, handler, thinking_forced_open, supports_thinking, thinking_start_tag,
//    thinking_end_tags, generation_prompt, generation_prompt_tail,
//    results: [{content, reasoning_content, tool_calls: [{name, arguments}]} | {error}]}
//
// Built by test/conformance/build-oracle.ts against the llama.cpp tree that
// node-llama-cpp ships (same commit as our engine).

#include "chat.h"
#include "common.h"
#include "log.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using json = nlohmann::ordered_json;

static std::string str_or_empty(const json & j, const char * key) {
    if (!j.contains(key) || j.at(key).is_null()) return "";
    const auto & v = j.at(key);
    return v.is_string() ? v.get<std::string>() : v.dump();
}

static std::vector<common_chat_msg> parse_messages(const json & messages) {
    std::vector<common_chat_msg> out;
    for (const auto & m : messages) {
        common_chat_msg msg;
        msg.role = m.at("role").get<std::string>();
        if (m.contains("content") && !m.at("content").is_null()) {
            const auto & c = m.at("content");
            if (c.is_string()) {
                msg.content = c.get<std::string>();
            } else if (c.is_array()) {
                for (const auto & part : c) {
                    common_chat_msg_content_part p;
                    p.type = part.value("type", "text");
                    p.text = part.value("text", "");
                    msg.content_parts.push_back(p);
                }
            }
        }
        msg.reasoning_content = str_or_empty(m, "reasoning_content");
        msg.tool_call_id = str_or_empty(m, "tool_call_id");
        msg.tool_name = str_or_empty(m, "name");
        if (m.contains("tool_calls") && m.at("tool_calls").is_array()) {
            for (const auto & tc : m.at("tool_calls")) {
                common_chat_tool_call call;
                const auto & fn = tc.at("function");
                call.name = fn.at("name").get<std::string>();
                call.arguments = fn.at("arguments").is_string() ? fn.at("arguments").get<std::string>()
                                                                : fn.at("arguments").dump();
                call.id = tc.value("id", "");
                msg.tool_calls.push_back(call);
            }
        }
        out.push_back(msg);
    }
    return out;
}

static std::vector<common_chat_tool> parse_tools(const json & tools) {
    std::vector<common_chat_tool> out;
    for (const auto & t : tools) {
        const auto & fn = t.contains("function") ? t.at("function") : t;
        common_chat_tool tool;
        tool.name = fn.at("name").get<std::string>();
        tool.description = fn.value("description", "");
        tool.parameters = fn.contains("parameters") ? fn.at("parameters").dump() : "{}";
        out.push_back(tool);
    }
    return out;
}

// Which handler common_chat_templates_apply used, read back from llama.cpp's debug log.
static std::string handler_from_log(const std::string & log) {
    const std::string specialized = "Using specialized template: ";
    auto pos = log.find(specialized);
    if (pos != std::string::npos) {
        auto end = log.find('\n', pos);
        return "specialized: " + log.substr(pos + specialized.size(), end == std::string::npos ? std::string::npos : end - pos - specialized.size());
    }
    if (log.find("using differential autoparser") != std::string::npos) return "autoparser";
    return "unknown";
}

int main(int argc, char ** argv) {
    std::string log_path = argc > 1 ? argv[1] : "";
    if (!log_path.empty()) {
        common_log_set_file(common_log_main(), log_path.c_str());
        common_log_set_verbosity_thold(LOG_DEFAULT_DEBUG);
    } else {
        common_log_pause(common_log_main());
    }

    json out;
    try {
        std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        json req = json::parse(input);

        auto tmpls = common_chat_templates_init(nullptr, req.at("template").get<std::string>(),
                                                req.value("bos_token", ""), req.value("eos_token", ""));

        common_chat_templates_inputs inputs;
        inputs.messages = parse_messages(req.at("messages"));
        if (req.contains("tools") && req.at("tools").is_array() && !req.at("tools").empty()) {
            inputs.tools = parse_tools(req.at("tools"));
        }
        inputs.tool_choice = COMMON_CHAT_TOOL_CHOICE_AUTO;
        inputs.parallel_tool_calls = true;
        inputs.reasoning_format = COMMON_REASONING_FORMAT_AUTO;
        inputs.enable_thinking = req.value("enable_thinking", true);
        inputs.add_generation_prompt = true;
        inputs.use_jinja = true;

        auto params = common_chat_templates_apply(tmpls.get(), inputs);

        if (!log_path.empty()) {
            common_log_flush(common_log_main());
            std::ifstream f(log_path);
            std::stringstream ss;
            ss << f.rdbuf();
            out["handler"] = handler_from_log(ss.str());
        }

        // This llama.cpp has no `thinking_forced_open` flag any more: the parser is run over
        // generation_prompt + output. Thinking is forced open when the generation prompt
        // ends inside an opened thinking block.
        bool forced_open = false;
        if (params.supports_thinking && !params.thinking_start_tag.empty()) {
            std::string gp = params.generation_prompt;
            while (!gp.empty() && isspace((unsigned char) gp.back())) gp.pop_back();
            auto start = gp.rfind(params.thinking_start_tag);
            if (start != std::string::npos) {
                forced_open = true;
                for (const auto & end_tag : params.thinking_end_tags) {
                    if (!end_tag.empty() && gp.find(end_tag, start) != std::string::npos) forced_open = false;
                }
            }
        }

        out["format"] = common_chat_format_name(params.format);
        out["thinking_forced_open"] = forced_open;
        out["supports_thinking"] = params.supports_thinking;
        out["thinking_start_tag"] = params.thinking_start_tag;
        out["thinking_end_tags"] = params.thinking_end_tags;
        out["generation_prompt"] = params.generation_prompt;
        const auto & prompt = params.prompt;
        size_t tail_start = prompt.size() > 80 ? prompt.size() - 80 : 0;
        // Do not cut a UTF-8 sequence in half: step forward over continuation bytes.
        while (tail_start < prompt.size() && (((unsigned char) prompt[tail_start]) & 0xC0) == 0x80) tail_start++;
        out["generation_prompt_tail"] = prompt.substr(tail_start);

        common_chat_parser_params pp(params);
        pp.reasoning_format = COMMON_REASONING_FORMAT_AUTO;
        pp.parse_tool_calls = !inputs.tools.empty();
        if (!params.parser.empty()) pp.parser.load(params.parser);

        json results = json::array();
        for (const auto & raw : req.at("outputs")) {
            json r;
            try {
                auto msg = common_chat_parse(raw.get<std::string>(), false, pp);
                r["content"] = msg.content;
                r["reasoning_content"] = msg.reasoning_content;
                json calls = json::array();
                for (const auto & tc : msg.tool_calls) {
                    calls.push_back({{"name", tc.name}, {"arguments", tc.arguments}});
                }
                r["tool_calls"] = calls;
            } catch (const std::exception & e) {
                r["error"] = e.what();
            }
            results.push_back(r);
        }
        out["results"] = results;
    } catch (const std::exception & e) {
        out["fatal"] = e.what();
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
        return 2;
    }
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
    return 0;
}
