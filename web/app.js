// llama-bridge's status page. Preact + htm (no build step) for the components, uPlot for the
// plots; both are served by the server from its own package. Everything shown arrives through
// /ui/api/* with the API key in a header (kept in sessionStorage for this tab only, never in a
// URL). All text is rendered as text nodes: a prompt holding `<script>` shows as those characters.

import { html, render, useEffect, useMemo, useRef, useState } from './vendor/preact-htm.js';

const KEY_STORAGE = 'llama-bridge-api-key';
const RECONNECT_MS = 2000;
const MAX_ROWS = 200;
/** Points plotted: ten minutes at one per second, as many as the server keeps. */
const MAX_POINTS = 600;
/** uPlot's IIFE build (loaded by index.html before this module) defines it. */
const uPlot = globalThis.uPlot;

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) ?? '';
}

function authHeaders() {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

class AuthError extends Error {}

/** Reads a text/event-stream body, calling `onEvent(name, data)` per event. */
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, data.join('\n'));
    }
  }
}

async function failure(response) {
  if (response.status === 401) return new AuthError('The server wants an API key.');
  try {
    const body = await response.json();
    return new Error(body?.error?.message ?? `HTTP ${response.status}`);
  } catch {
    return new Error(`HTTP ${response.status}`);
  }
}

/** The live state: one event stream, reconnecting; merges updates into what the page shows. */
function useLiveState(keyVersion) {
  const [connection, setConnection] = useState('connecting');
  const [data, setData] = useState(null);
  // A tab in the background takes no updates (the stream is closed) and catches up when shown.
  const [visible, setVisible] = useState(document.visibilityState !== 'hidden');
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, []);
  useEffect(() => {
    if (!visible) return undefined;
    const abort = new AbortController();
    let timer;
    const connect = async () => {
      try {
        const response = await fetch('/ui/api/events', { headers: authHeaders(), signal: abort.signal, cache: 'no-store' });
        if (!response.ok) throw await failure(response);
        setConnection('live');
        await readEvents(response, (name, text) => {
          const event = JSON.parse(text);
          if (name === 'state') setData({ ...event, requests: mergeRequests([], event.requests) });
          else if (name === 'update') setData((current) => (current ? applyUpdate(current, event) : current));
        });
        if (!abort.signal.aborted) throw new Error('the server closed the stream');
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof AuthError) {
          setConnection(apiKey() ? 'wrong-key' : 'need-key');
          return;
        }
        setConnection('offline');
        timer = setTimeout(connect, RECONNECT_MS);
      }
    };
    connect();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [keyVersion, visible]);
  return { connection, data };
}

function applyUpdate(current, update) {
  const series = [...current.series, update.point].slice(-MAX_POINTS);
  return {
    ...current,
    server: { ...current.server, status: update.status },
    series,
    slots: update.slots,
    queues: update.queues,
    requests: mergeRequests(current.requests, update.requests),
  };
}

/** Newest first, by id; a changed record replaces the one shown. */
function mergeRequests(shown, changed) {
  const byId = new Map(shown.map((record) => [record.id, record]));
  for (const record of changed) byId.set(record.id, record);
  return [...byId.values()].sort((a, b) => b.startedAt - a.startedAt).slice(0, MAX_ROWS);
}

// ---------- small formatting helpers ----------

const number = (value, digits = 0) =>
  value === null || value === undefined ? '—' : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
const seconds = (ms) => (ms === undefined || ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
const clock = (t) => new Date(t).toLocaleTimeString();

function Badge({ kind, children }) {
  return html`<span class=${`badge ${kind}`}>${children ?? kind}</span>`;
}

// ---------- panels ----------

function KeyForm({ wrong, onKey }) {
  const [value, setValue] = useState('');
  const submit = (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, value);
    onKey();
  };
  return html`<form class="key" data-testid="key-form" onSubmit=${submit}>
    <h2>This server needs its API key</h2>
    <p class="muted">It is kept in this tab only (sessionStorage) and sent in a header, never in a URL.</p>
    ${wrong ? html`<p class="error-text" data-testid="key-error">That key was refused.</p>` : null}
    <input type="password" autocomplete="off" placeholder="API key" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} data-testid="key-input" />
    <button class="primary" type="submit">Open</button>
  </form>`;
}

function ModelPanel({ model, server }) {
  if (!model)
    return html`<section>
      <h2>Model</h2>
      <p class="muted">Loading…</p>
    </section>`;
  const spec = model.speculation;
  return html`<section data-testid="model">
    <h2>Model</h2>
    <dl>
      <dt>file</dt>
      <dd data-testid="model-file">${model.file}</dd>
      <dt>path</dt>
      <dd class="muted">${model.path}</dd>
      ${
        model.remote
          ? html`<dt>evaluated by</dt>
              <dd data-testid="model-remote">${model.remote.url} (${model.remote.protocol})</dd>`
          : null
      }
      <dt>architecture</dt>
      <dd>${model.architecture ?? '—'}</dd>
      <dt>template family</dt>
      <dd data-testid="model-family">${model.chatFormat ? `${model.chatFormat.family} (${model.chatFormat.source})` : '—'}</dd>
      <dt>context per slot</dt>
      <dd>${number(model.slotContextSize)} tokens${model.trainContextSize ? html` <span class="muted">(trained ${number(model.trainContextSize)})</span>` : null}</dd>
      <dt>threads</dt>
      <dd>${model.threads ?? '—'}${model.gpu && model.gpu !== 'none' ? `, GPU ${model.gpu}` : ''}</dd>
      <dt>prompt cache</dt>
      <dd>${model.memory ? `${model.memory.cache_strategy ?? model.memory.cacheStrategy}, rollback ${model.memory.rollback}` : '—'}</dd>
      <dt>speculative decoding</dt>
      <dd>${spec ? `${spec.type}, up to ${spec.draftMax} tokens${spec.draftModel ? ` (${spec.draftModel})` : ''}, caches ${spec.caches.join(', ')}` : 'off'}</dd>
      <dt>caches</dt>
      <dd>
        ${model.caches.map((cache) => `${cache.name}${cache.name === model.defaultCache ? ' (default)' : ''}: ${cache.slots} × ${number(cache.contextSize)}${cache.remote ? ` on ${cache.remote.url}` : ''}`).join('; ')}
      </dd>
      <dt>debug traces</dt>
      <dd>${server.debug ? 'on' : 'off (start with --debug to keep them)'}</dd>
    </dl>
  </section>`;
}

function SlotsPanel({ slots, queues, requests, onSelect }) {
  const byId = useMemo(() => new Map(requests.map((record) => [record.id, record])), [requests]);
  return html`<section data-testid="slots">
    <h2>Caches and slots</h2>
    <table>
      <thead>
        <tr>
          <th>cache</th>
          <th>slot</th>
          <th>state</th>
          <th>cached tokens</th>
          <th>request</th>
          <th class="num">tok/s now</th>
        </tr>
      </thead>
      <tbody>
        ${slots.map((slot) => {
          const state = slot.busy ? (slot.phase ?? 'busy') : 'idle';
          const record = slot.request ? byId.get(slot.request) : undefined;
          return html`<tr data-testid="slot-row" data-state=${state}>
            <td>${slot.cache}</td>
            <td>${slot.id}</td>
            <td><${Badge} kind=${state} /></td>
            <td>
              <span class="bar"><span style=${{ width: `${Math.min(100, (100 * slot.cachedTokens) / Math.max(1, slot.contextSize))}%` }}></span></span>
              ${' '}${number(slot.cachedTokens)} / ${number(slot.contextSize)}
            </td>
            <td>${record ? html`<a href="#" onClick=${(e) => (e.preventDefault(), onSelect(record))}>${record.id}</a>` : (slot.request ?? '')}</td>
            <td class="num">${slot.tokensPerSecond !== undefined ? number(slot.tokensPerSecond, 1) : ''}</td>
          </tr>`;
        })}
      </tbody>
    </table>
    <p class="muted" data-testid="queues">
      ${`Waiting for a slot: ${
        Object.entries(queues)
          .map(([cache, depth]) => `${cache} ${depth}`)
          .join(', ') || '—'
      }`}
    </p>
  </section>`;
}

/** One uPlot chart; created once, fed new data on every update. */
function Chart({ title, testid, labels, colors, columns, series, yRange }) {
  const box = useRef(null);
  const plot = useRef(null);
  const data = useMemo(() => [series.map((point) => point.t / 1000), ...columns.map((column) => series.map((point) => point[column]))], [series]);
  useEffect(() => {
    const width = Math.max(280, box.current.clientWidth);
    plot.current = new uPlot(
      {
        width,
        height: 150,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: yRange ? { range: yRange } : { range: (u, min, max) => [0, Math.max(1, max ?? 1)] } },
        series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 1.5, spanGaps: false, points: { size: 4 } }))],
        axes: [{ size: 30 }, { size: 50 }],
      },
      data,
      box.current,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, box.current.clientWidth), height: 150 }));
    observer.observe(box.current);
    return () => {
      observer.disconnect();
      plot.current.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  const last = series.at(-1);
  const peak = Math.max(0, ...columns.flatMap((column) => series.map((point) => point[column] ?? 0)));
  return html`<div class="chart" data-testid=${testid} data-points=${series.length} data-peak=${peak}>
    <h3>${title}${last ? html` <span class="muted">— now ${columns.map((column) => number(last[column], 1)).join(' / ')}</span>` : null}</h3>
    <div ref=${box}></div>
  </div>`;
}

function ChartsPanel({ series }) {
  return html`<section class="wide">
    <h2>Last minutes</h2>
    <div class="charts">
      <${Chart}
        title="tokens/s (prompt, decode)"
        testid="chart-throughput"
        labels=${['prompt tok/s', 'decode tok/s']}
        colors=${['#c77c0e', '#2f6fdb']}
        columns=${['prefill', 'decode']}
        series=${series}
      />
      <${Chart}
        title="prompt-cache hit ratio (last minute)"
        testid="chart-hits"
        labels=${['hit ratio']}
        colors=${['#2e8b57']}
        columns=${['hitRatio']}
        series=${series}
        yRange=${[0, 1]}
      />
      <${Chart} title="requests in flight" testid="chart-inflight" labels=${['in flight']} colors=${['#7b3fb5']} columns=${['inFlight']} series=${series} />
      <${Chart} title="process memory (MiB)" testid="chart-memory" labels=${['RSS MiB']} colors=${['#6b7075']} columns=${['rssMiB']} series=${series} />
    </div>
  </section>`;
}

function RequestsPanel({ requests, selected, onSelect, debug }) {
  return html`<section class="wide" data-testid="requests">
    <h2>Recent requests ${debug ? html`<span class="muted">— click a row for its trace</span>` : null}</h2>
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>time</th>
            <th>API</th>
            <th>model asked</th>
            <th>route</th>
            <th>state</th>
            <th class="num">prompt</th>
            <th class="num">cached</th>
            <th class="num">generated</th>
            <th class="num">TTFT</th>
            <th class="num">tok/s</th>
            <th>stop / error</th>
          </tr>
        </thead>
        <tbody>
          ${requests.map(
            (record) =>
              html`<tr
                data-testid="request-row"
                data-id=${record.id}
                class=${`${record.trace ? 'clickable' : ''} ${selected?.id === record.id ? 'selected' : ''}`}
                onClick=${() => record.trace && onSelect(record)}
              >
                <td>${clock(record.startedAt)}</td>
                <td>${record.api}</td>
                <td data-testid="request-model">${record.model}</td>
                <td>${record.cache !== undefined ? `${record.rule ? `${record.rule} → ` : ''}${record.cache}${record.slot !== undefined ? ` / ${record.slot}` : ''}` : '—'}</td>
                <td><${Badge} kind=${record.phase} /></td>
                <td class="num">${number(record.promptTokens)}</td>
                <td class="num">${number(record.cachedTokens)}</td>
                <td class="num">${number(record.generatedTokens)}</td>
                <td class="num">${seconds(record.ttftMs)}</td>
                <td class="num">${number(record.tokensPerSecond, 1)}</td>
                <td class=${record.error ? 'error-text' : ''}>${record.error ?? record.stop ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${requests.length === 0 ? html`<p class="muted">No requests yet.</p>` : null}
    </div>
  </section>`;
}

// ---------- traces ----------

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits text into plain pieces and markup (the family's markers, special-token and tag shapes). */
function highlight(text, markup) {
  const literal = markup.filter((marker) => marker.length > 0).map(escapeRegExp);
  const shapes = ['<\\|[^|<>\\s]{1,40}\\|>', '<｜[^｜<>]{1,40}｜>', '</?[A-Za-z_][\\w:.-]{0,40}(?:=[^<>\\n]{0,80})?>', '\\[/?[A-Z][A-Z_]{2,30}\\]'];
  const pattern = new RegExp([...literal, ...shapes].join('|'), 'g');
  const out = [];
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    if (match[0].length === 0) continue;
    if (match.index > at) out.push(text.slice(at, match.index));
    out.push(html`<mark class="markup">${match[0]}</mark>`);
    at = match.index + match[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

function PromptView({ trace }) {
  if (trace.prompt === null) return html`<p class="muted">No prompt was rendered (the request was refused before).</p>`;
  const reused = trace.reusedChars ?? 0;
  return html`<div>
    <p class="muted">
      ${Object.entries(trace.promptInfo)
        .map(([key, value]) => `${key}: ${value}`)
        .join(' · ')}
    </p>
    <p class="muted"><mark class="reused">green</mark>: served from the KV cache (${number(reused)} characters); <mark class="markup">violet</mark>: template markup.</p>
    <pre
      class="text"
      data-testid="trace-prompt"
    ><mark class="reused" data-testid="trace-reused">${highlight(trace.prompt.slice(0, reused), trace.markup)}</mark>${highlight(trace.prompt.slice(reused), trace.markup)}</pre>
  </div>`;
}

function TraceView({ record, onClose }) {
  const [trace, setTrace] = useState(null);
  const [error, setError] = useState(null);
  const [tab, setTab] = useState('raw');
  useEffect(() => {
    setTrace(null);
    setError(null);
    const abort = new AbortController();
    fetch(`/ui/api/traces/${encodeURIComponent(record.trace)}`, { headers: authHeaders(), signal: abort.signal })
      .then(async (response) => {
        if (!response.ok) throw await failure(response);
        setTrace(await response.json());
      })
      .catch((failed) => abort.signal.aborted || setError(failed.message));
    return () => abort.abort();
  }, [record.id, record.phase]);
  const tabs = [
    ['request', '1 request'],
    ['prompt', '2 prompt'],
    ['raw', '3 raw output'],
    ['response', '4 response'],
  ];
  return html`<section class="wide" data-testid="trace">
    <h2>Trace of ${record.id} <button onClick=${onClose}>close</button></h2>
    ${error ? html`<p class="error-text">${error}</p>` : null} ${!trace && !error ? html`<p class="muted">Loading…</p>` : null}
    ${
      trace
        ? html`<div>
            <div class="tabs">
              ${tabs.map(([id, label]) => html`<button class=${tab === id ? 'active' : ''} data-testid=${`tab-${id}`} onClick=${() => setTab(id)}>${label}</button>`)}
            </div>
            ${trace.truncated.length ? html`<p class="muted">Cut at 4 MiB: ${trace.truncated.join(', ')} (the files on disk are whole).</p>` : null}
            ${tab === 'request' ? html`<pre class="text" data-testid="trace-request">${JSON.stringify(trace.request, null, 2)}</pre>` : null}
            ${tab === 'prompt' ? html`<${PromptView} trace=${trace} />` : null}
            ${
              tab === 'raw'
                ? html`<div>
                    <pre class="text" data-testid="trace-raw">${trace.rawOutput === null ? '' : highlight(trace.rawOutput, trace.markup)}</pre>
                    ${
                      trace.notes.length
                        ? html`<h3>Parser notes</h3>
                            <ul data-testid="trace-notes">
                              ${trace.notes.map((note) => html`<li>${note}</li>`)}
                            </ul>`
                        : html`<p class="muted">No parser notes.</p>`
                    }
                  </div>`
                : null
            }
            ${tab === 'response' ? html`<pre class="text" data-testid="trace-response">${JSON.stringify(trace.response, null, 2)}</pre>` : null}
          </div>`
        : null
    }
  </section>`;
}

// ---------- chat box ----------

/** Streams one chat completion from the server's own OpenAI API, calling `onDelta(message)` as it grows. */
async function streamChat(body, signal, onDelta) {
  const response = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!response.ok) throw await failure(response);
  const message = { role: 'assistant', content: '', reasoning: '', toolCalls: [], usage: null, finish: null };
  await readEvents(response, (_name, text) => {
    if (text === '[DONE]') return;
    const chunk = JSON.parse(text);
    if (chunk.error) throw new Error(chunk.error.message ?? 'the stream failed');
    if (chunk.usage) message.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return onDelta({ ...message });
    const delta = choice.delta ?? {};
    if (delta.content) message.content += delta.content;
    if (delta.reasoning_content) message.reasoning += delta.reasoning_content;
    for (const call of delta.tool_calls ?? []) {
      const current = (message.toolCalls[call.index] ??= { id: call.id ?? '', name: '', arguments: '' });
      if (call.id) current.id = call.id;
      if (call.function?.name) current.name += call.function.name;
      if (call.function?.arguments) current.arguments += call.function.arguments;
    }
    if (choice.finish_reason) message.finish = choice.finish_reason;
    onDelta({ ...message, toolCalls: message.toolCalls.map((call) => ({ ...call })) });
  });
  return message;
}

/** The conversation as OpenAI messages; a call the box cannot run gets a result saying so. */
function toApiMessages(system, messages) {
  const out = system.trim() ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    if (message.role === 'user') {
      out.push({ role: 'user', content: message.content });
      continue;
    }
    const calls = message.toolCalls.filter((call) => call.name);
    out.push({
      role: 'assistant',
      content: message.content,
      ...(calls.length ? { tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) } : {}),
    });
    for (const call of calls) out.push({ role: 'tool', tool_call_id: call.id, content: '(not run: the chat box does not run tools)' });
  }
  return out;
}

function ChatMessage({ message }) {
  return html`<div class=${`message ${message.role}`} data-testid=${`chat-${message.role}`}>
    <div class="role">${message.role}${message.finish ? ` — ${message.finish}` : ''}${message.usage ? ` — ${message.usage.completion_tokens} tokens` : ''}</div>
    ${message.reasoning ? html`<div class="reasoning" data-testid="chat-reasoning">${message.reasoning}</div>` : null}
    ${message.content ? html`<div data-testid="chat-content">${message.content}</div>` : null}
    ${(message.toolCalls ?? []).map((call) => html`<div class="tool-call" data-testid="chat-tool-call">→ ${call.name}(${call.arguments})</div>`)}
    ${message.error ? html`<div class="error-text" data-testid="chat-error">${message.error}</div>` : null}
  </div>`;
}

function ChatBox() {
  const [messages, setMessages] = useState([]);
  const [input, setInput] = useState('');
  const [system, setSystem] = useState('');
  const [tools, setTools] = useState('');
  const [temperature, setTemperature] = useState('0.7');
  const [maxTokens, setMaxTokens] = useState('512');
  const [running, setRunning] = useState(null);
  const log = useRef(null);
  useEffect(() => {
    if (log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [messages]);

  const send = async (event) => {
    event.preventDefault();
    if (!input.trim() || running) return;
    let toolList;
    try {
      toolList = tools.trim() ? JSON.parse(tools) : undefined;
      if (toolList !== undefined && !Array.isArray(toolList)) throw new Error('tools must be a JSON array of OpenAI tools');
    } catch (error) {
      setMessages((current) => [...current, { role: 'assistant', content: '', reasoning: '', toolCalls: [], error: `Tools: ${error.message}` }]);
      return;
    }
    const history = [...messages.filter((message) => !message.error), { role: 'user', content: input }];
    setMessages([...history, { role: 'assistant', content: '', reasoning: '', toolCalls: [] }]);
    setInput('');
    const abort = new AbortController();
    setRunning(abort);
    const body = {
      model: 'status-page-chat',
      messages: toApiMessages(system, history),
      ...(toolList ? { tools: toolList } : {}),
      ...(temperature !== '' ? { temperature: Number(temperature) } : {}),
      ...(maxTokens !== '' ? { max_tokens: Number(maxTokens) } : {}),
    };
    const show = (message) => setMessages([...history, message]);
    try {
      await streamChat(body, abort.signal, show);
    } catch (error) {
      setMessages((current) => [...current.slice(0, -1), { ...current.at(-1), error: abort.signal.aborted ? 'stopped' : error.message }]);
    } finally {
      setRunning(null);
    }
  };

  return html`<section class="wide" data-testid="chat">
    <h2>Try the model</h2>
    <div class="chat-log" ref=${log}>${messages.map((message) => html`<${ChatMessage} message=${message} />`)}</div>
    <form onSubmit=${send}>
      <div class="chat-input">
        <textarea rows="2" placeholder="Message" value=${input} onInput=${(e) => setInput(e.currentTarget.value)} data-testid="chat-input"></textarea>
        ${
          running
            ? html`<button type="button" onClick=${() => running.abort()} data-testid="chat-stop">Stop</button>`
            : html`<button class="primary" type="submit" data-testid="chat-send">Send</button>`
        }
      </div>
      <div class="chat-options">
        <label
          >temperature <input type="number" step="0.1" min="0" max="2" value=${temperature} onInput=${(e) => setTemperature(e.currentTarget.value)} data-testid="chat-temperature"
        /></label>
        <label>max tokens <input type="number" min="1" value=${maxTokens} onInput=${(e) => setMaxTokens(e.currentTarget.value)} /></label>
        <button type="button" onClick=${() => setMessages([])} disabled=${!!running}>New conversation</button>
      </div>
      <details>
        <summary>System prompt and tools</summary>
        <textarea rows="2" placeholder="System prompt" value=${system} onInput=${(e) => setSystem(e.currentTarget.value)}></textarea>
        <textarea
          rows="4"
          placeholder='Tools, as OpenAI "tools" JSON: [{"type":"function","function":{"name":…,"parameters":{…}}}]'
          value=${tools}
          onInput=${(e) => setTools(e.currentTarget.value)}
          data-testid="chat-tools"
        ></textarea>
      </details>
    </form>
  </section>`;
}

// ---------- the page ----------

function App() {
  const [keyVersion, setKeyVersion] = useState(0);
  const { connection, data } = useLiveState(keyVersion);
  const [selected, setSelected] = useState(null);
  if (connection === 'need-key' || connection === 'wrong-key') {
    return html`<${KeyForm} wrong=${connection === 'wrong-key'} onKey=${() => setKeyVersion((v) => v + 1)} />`;
  }
  if (!data) return html`<p class="muted" data-testid="connecting">${connection === 'offline' ? 'The server does not answer; retrying…' : 'Connecting…'}</p>`;
  const current = selected ? (data.requests.find((record) => record.id === selected.id) ?? selected) : null;
  return html`<div>
    <header>
      <h1>llama-bridge</h1>
      <span data-testid="header-model">${data.model?.file ?? ''}</span>
      <${Badge} kind=${data.server.status} />
      <${Badge} kind=${connection === 'live' ? 'ready' : 'offline'}>${connection === 'live' ? `live, every ${data.server.intervalMs / 1000} s` : 'reconnecting'}<//>
      <span class="muted">v${data.server.version}</span>
      ${apiKey() ? html`<button onClick=${() => (sessionStorage.removeItem(KEY_STORAGE), setKeyVersion((v) => v + 1))}>forget key</button>` : null}
    </header>
    <main>
      <${ModelPanel} model=${data.model} server=${data.server} />
      <${SlotsPanel} slots=${data.slots} queues=${data.queues} requests=${data.requests} onSelect=${(record) => record.trace && setSelected(record)} />
      <${ChartsPanel} series=${data.series} />
      <${RequestsPanel} requests=${data.requests} selected=${current} onSelect=${setSelected} debug=${data.server.debug} />
      ${current?.trace ? html`<${TraceView} record=${current} onClose=${() => setSelected(null)} />` : null}
      <${ChatBox} />
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
