"""Render chat templates with Python's Jinja2 the way Hugging Face transformers does.

Used to (re)generate jinja2-golden.json, the reference our renderer is checked against:

    UPDATE_TEMPLATE_GOLDEN=1 npx vitest run src/chat/template

Reads a JSON list of {name, template (path), context, now} on stdin; writes {name: {sha256,
length} | {error}} on stdout (or the full text with --text). Environment as in transformers'
chat_template_utils: trim_blocks, lstrip_blocks, loopcontrols, a no-op {% generation %} tag,
tojson via json.dumps(ensure_ascii=False), raise_exception, strftime_now. The sandbox is the
mutable one (transformers uses ImmutableSandboxedEnvironment, which forbids list.append; llama.cpp
allows it, and Kimi's templates need it).
"""

import hashlib
import json
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment


class Generation(Extension):
    tags = {"generation"}

    def parse(self, parser):
        next(parser.stream)
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    full_text = "--text" in sys.argv
    cases = json.load(sys.stdin)
    out = {}
    for case in cases:
        now = datetime.fromisoformat(case["now"])
        env = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, jinja2.ext.loopcontrols])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt, now=now: now.strftime(fmt)
        try:
            with open(case["template"], encoding="utf-8") as f:
                text = env.from_string(f.read()).render(**case["context"])
        except Exception as e:  # noqa: BLE001 - every failure is a result here
            out[case["name"]] = {"error": f"{type(e).__name__}: {e}"}
            continue
        if full_text:
            out[case["name"]] = {"text": text}
        else:
            out[case["name"]] = {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "bytes": len(text.encode("utf-8"))}
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
