import { readFileSync } from 'node:fs';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
const anon = () => Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status','utf8'))[1]) >> 10;
const llama = await getLlama({ build: 'never', logLevel: LlamaLogLevel.warn });
const a0 = anon();
const model = await llama.loadModel({ modelPath: '/work/main/.cache/models/random-qwen2.5-0.5b-1810d81183a2efae.gguf' });
const a1 = anon();
const context = await model.createContext({ sequences: 4, contextSize: 4096, batchSize: 512, threads: { ideal: 2, min: 2 } });
const a2 = anon();
const seq = context.getSequence();
let n = 0; for await (const t of seq.evaluate(model.tokenize('Hello there, tell me a story '.repeat(40)), { temperature: 0 })) { if (++n >= 16) break; }
console.log(`anon MB: getLlama ${a0}, +loadModel ${a1 - a0}, +createContext ${a2 - a1}, +1 request ${anon() - a2}; total ${anon()}`);
