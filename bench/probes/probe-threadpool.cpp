// Issue 7 probe: node-llama-cpp's decode without JavaScript. A bare llama_decode loop (one token
// per call, greedy argmax over the logits) linked against node-llama-cpp's *prebuilt* libraries,
// run two ways:
//   none  — no threadpool attached: what node-llama-cpp's addon does; with its OpenMP-less
//           prebuilt ggml, every graph compute creates and joins a disposable threadpool.
//   pool  — a persistent threadpool attached (ggml_threadpool_new + llama_attach_threadpool),
//           what llama-server and llama-bench do (common_threadpools::init), poll level as given.
//   hop   — no threadpool, and every llama_decode and every argmax runs on a separate worker
//           thread that the main thread hands work to and waits for (condition variables),
//           like node-llama-cpp's decodeBatch/sampleToken AsyncWorkers on libuv's pool: four
//           cross-thread wake-ups per token, the caller idle meanwhile.
// Built and run by bench/probes/probe-threadpool.sh.
//
//   probe-threadpool <ggml-backend-dir> <model.gguf> <threads> <none|pool> [tokens=128] [poll=50] [reps=3]

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static void quiet_log(ggml_log_level level, const char * text, void *) {
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char ** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s <ggml-backend-dir> <model.gguf> <threads> <none|pool> [tokens] [poll] [reps]\n", argv[0]);
        return 2;
    }
    const char * dir = argv[1];
    const char * path = argv[2];
    const int threads = atoi(argv[3]);
    const bool pool = strcmp(argv[4], "pool") == 0;
    const bool hop = strcmp(argv[4], "hop") == 0;
    const int tokens = argc > 5 ? atoi(argv[5]) : 128;
    const int poll = argc > 6 ? atoi(argv[6]) : 50;
    const int reps = argc > 7 ? atoi(argv[7]) : 3;

    llama_log_set(quiet_log, nullptr);
    ggml_backend_load_all_from_path(dir);
    llama_backend_init();

    llama_model_params mp = llama_model_default_params();
    llama_model * model = llama_model_load_from_file(path, mp);
    if (!model) return 1;
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 4096;
    cp.n_batch = 512;
    cp.n_ubatch = 512;
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) return 1;

    ggml_threadpool * tp = nullptr;
    if (pool) {
        ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
        ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
        auto * tp_new = (decltype(ggml_threadpool_new) *) ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
        ggml_threadpool_params params;
        ggml_threadpool_params_init(&params, threads);
        params.poll = poll;
        tp = tp_new(&params);
        llama_attach_threadpool(ctx, tp, nullptr);
    }

    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    llama_memory_t mem = llama_get_memory(ctx);

    // A one-job-at-a-time worker thread, as libuv's pool is for one request in flight.
    std::mutex m;
    std::condition_variable cv;
    std::function<void()> job;
    bool done = false, quit = false;
    std::thread worker([&] {
        std::unique_lock<std::mutex> lock(m);
        for (;;) {
            cv.wait(lock, [&] { return job || quit; });
            if (quit) return;
            auto run = std::move(job);
            job = nullptr;
            lock.unlock();
            run();
            lock.lock();
            done = true;
            cv.notify_all();
        }
    });
    auto on_worker = [&](std::function<void()> fn) {
        if (!hop) return fn();
        std::unique_lock<std::mutex> lock(m);
        done = false;
        job = std::move(fn);
        cv.notify_all();
        cv.wait(lock, [&] { return done; });
    };

    for (int rep = 0; rep <= reps; rep++) {
        llama_memory_clear(mem, true);
        std::vector<llama_token> prompt;
        for (int i = 0; i < 16; i++) prompt.push_back(1000 + i * 37 + rep);
        if (llama_decode(ctx, llama_batch_get_one(prompt.data(), (int) prompt.size())) != 0) return 1;
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < tokens; i++) {
            llama_token best = 0;
            on_worker([&] {
                const float * logits = llama_get_logits_ith(ctx, -1);
                for (int t = 1; t < n_vocab; t++) if (logits[t] > logits[best]) best = t;
            });
            int r = 0;
            on_worker([&] { r = llama_decode(ctx, llama_batch_get_one(&best, 1)); });
            if (r != 0) return 1;
        }
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (rep > 0) printf("%s threads=%d poll=%d rep=%d: %.1f tok/s\n", pool ? "pool" : hop ? "hop" : "none", threads, poll, rep, tokens / s);
        fflush(stdout);
    }
    {
        std::lock_guard<std::mutex> lock(m);
        quit = true;
    }
    cv.notify_all();
    worker.join();
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
