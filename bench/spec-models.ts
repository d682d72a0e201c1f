// Models and workloads for the speculative-decoding bench (issue 16; `npm run bench -- --spec`).
//
// Random weights never repeat their prompt, so speculation would look useless on the usual bench
// model. These models are scripted instead (test/fixtures/context-scripted-model.ts): greedy
// decoding writes a chosen answer after a chosen prompt, through real llama.cpp compute.
//
// - Target: one scripted layer whose next token depends on the last tokens (at most `memory`,
//   most units look at 2-5), plus 23 full-size layers whose attention output and FFN down
//   projections are zero: they cost what a real layer costs and add nothing. Shape at least
//   Qwen2.5-0.5B's (n_embd 896 = 14 heads of 64, 24 layers, n_ff 4864, Q8_0 matrices and token
//   embeddings, tied output). It has 14 KV heads where Qwen2.5-0.5B has 2 (the scripted layer
//   needs one per head and llama.cpp wants the same count in every layer), so its K/V
//   projections and KV cache are larger: a little more compute per token, not less.
// - Draft: the same scripts in one scripted layer (no inert layers), wrong on every
//   `DRAFT_WRONG_EVERY`-th token, so it agrees with the target on ~96% of the answer.
// - Workloads, both answered by the same model file:
//   edit:  the prompt holds a ~490-token Python file and asks for three changes; the answer is
//          the whole file (in a ```python fence) with those three lines changed;
//   prose: a short question; the ~255-token answer shares nothing with the prompt.
//   The answer depends only on the prompt's last tokens (the end of the user turn and the
//   assistant header), so each request may carry its own system message (no prefix reuse
//   between repetitions) and still get the scripted answer.

import { readFileSync } from 'node:fs';
import { ChatTemplate } from '../src/chat/template.js';
import { makeContextScriptedModel, type ContextScriptedModel } from '../test/fixtures/models.js';
import { templatePath, vocabPath } from '../test/fixtures/llama-cpp-source.js';
import type { ChatMessage } from './http-client.js';

export const SPEC_TEMPLATE_NAME = 'Qwen-Qwen2.5-7B-Instruct';

export const SOURCE_FILE = `"""Inventory bookkeeping for a small warehouse."""

from dataclasses import dataclass, field
from typing import Dict, List


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    quantity: int = 0
    tags: List[str] = field(default_factory=list)

    def total_value(self) -> int:
        return self.price_cents * self.quantity


class Inventory:
    def __init__(self) -> None:
        self._items: Dict[str, Item] = {}
        self._log: List[str] = []

    def add(self, item: Item) -> None:
        if item.sku in self._items:
            raise ValueError(f"duplicate sku {item.sku}")
        self._items[item.sku] = item
        self._log.append(f"add {item.sku}")

    def restock(self, sku: str, amount: int) -> int:
        if amount <= 0:
            raise ValueError("amount must be positive")
        entry = self._items[sku]
        entry.quantity += amount
        self._log.append(f"restock {sku} +{amount}")
        return entry.quantity

    def sell(self, sku: str, count: int = 1) -> int:
        stock = self._items[sku]
        if stock.quantity < count:
            raise RuntimeError(f"only {stock.quantity} left of {sku}")
        stock.quantity -= count
        self._log.append(f"sell {sku} -{count}")
        return stock.price_cents * count

    def worth(self) -> int:
        return sum(x.total_value() for x in self._items.values())

    def history(self, last: int = 10) -> List[str]:
        return self._log[-last:]


def demo() -> None:
    shop = Inventory()
    shop.add(Item("A-1", "bolt", 25, 400, ["metal"]))
    shop.add(Item("B-7", "glue", 310, 12, ["liquid"]))
    shop.restock("B-7", 30)
    print(shop.sell("A-1", 120), shop.worth())
    print(shop.history())


if __name__ == "__main__":
    demo()
`;

/** The three changed lines: [original, replacement]. */
export const EDITS: readonly (readonly [string, string])[] = [
  ['    quantity: int = 0\n', '    quantity: int = 1\n'],
  ['            raise ValueError("amount must be positive")\n', '            raise ValueError("restock amount must be positive")\n'],
  ['    def history(self, last: int = 10) -> List[str]:\n', '    def history(self, last: int = 20) -> List[str]:\n'],
];

export const EDIT_REQUEST =
  'Make three changes: the default quantity of an Item becomes 1, the restock error says "restock amount must be positive", and history keeps the last 20 entries by default. Reply with the whole file.';

export const PROSE_QUESTION = 'How did lighthouse keepers live, and what happened to them?';

export const PROSE_ANSWER =
  'Lighthouses were once kept by families who lived at the foot of the tower. Each evening the keeper climbed the spiral stairs, trimmed the wick, polished the brass and wound the clockwork that turned the great lens. ' +
  'On stormy nights nobody slept: the glass fogged, oil froze in winter, and ships still drifted toward the rocks. Logbooks from the period record gales, wrecks, births and weddings in the same patient handwriting. ' +
  'Supplies arrived by boat once a month, weather permitting, so gardens were planted in sheltered hollows and goats grazed between the rocks. Children rowed across the bay to school, or were taught at the kitchen table by a parent. ' +
  'Electric lamps arrived slowly, beginning with the busiest harbours; automatic timers followed, then radio beacons and satellite navigation. By the end of the century almost every tower ran unattended, checked a few times a year by a technician from the mainland. ' +
  "Many keepers' cottages became museums, guest houses or artists' studios. Visitors now climb the same stairs to admire the view, read the faded logbooks and imagine the long winters. " +
  'A few historic lights still shine each night, partly for sailors but mostly, perhaps, for the people on shore who like to see them.';

export function editedFile(): string {
  let file = SOURCE_FILE;
  for (const [from, to] of EDITS) {
    if (!file.includes(from)) throw new Error(`spec bench: the source file has no line ${JSON.stringify(from)}`);
    file = file.replace(from, to);
  }
  return file;
}

export type WorkloadName = 'edit' | 'prose';

export interface Workload {
  name: WorkloadName;
  /** The request's messages; `tag` goes into the system message so every request's prompt is new. */
  messages(tag: string): ChatMessage[];
  /** What greedy decoding must write. */
  answer: string;
}

const system = (tag: string): ChatMessage => ({ role: 'system', content: `You are a careful assistant. Session ${tag}.` });

export const WORKLOADS: Record<WorkloadName, Workload> = {
  edit: {
    name: 'edit',
    messages: (tag) => [system(tag), { role: 'user', content: `Here is inventory.py:\n\n\`\`\`python\n${SOURCE_FILE}\`\`\`\n\n${EDIT_REQUEST}` }],
    answer: `\`\`\`python\n${editedFile()}\`\`\``,
  },
  prose: {
    name: 'prose',
    messages: (tag) => [system(tag), { role: 'user', content: PROSE_QUESTION }],
    answer: PROSE_ANSWER,
  },
};

/** The rendered prompt's last turn (user turn + assistant header): what the model's scripts follow. */
function promptEnding(template: ChatTemplate, workload: Workload): string {
  const rendered = template.render({ messages: workload.messages('x') } as Parameters<ChatTemplate['render']>[0]);
  const at = rendered.lastIndexOf('<|im_start|>user');
  if (at < 0 || !rendered.endsWith('<|im_start|>assistant\n')) throw new Error('spec bench: unexpected rendering of the Qwen2.5 template');
  return rendered.slice(at);
}

/** Target: Qwen2.5-0.5B-sized; draft: the bare scripted layer. `small` is the fast version the unit test checks. */
export type SpecModelSize = 'bench' | 'small';

/** The draft is wrong on every 25th answer token: it agrees with the target on 96% of them. */
export const DRAFT_WRONG_EVERY = 25;

export interface SpecModels {
  target: ContextScriptedModel;
  draft: ContextScriptedModel;
  template: string;
  /** Token counts of the answers (the model's scripts) and the prompts' memory. */
  answerTokens: Record<WorkloadName, number>;
  description: { target: string; draft: string };
}

export async function specModels(size: SpecModelSize = 'bench', log: (line: string) => void = () => {}): Promise<SpecModels> {
  const template = readFileSync(templatePath(SPEC_TEMPLATE_NAME), 'utf8');
  const renderer = new ChatTemplate(template, { bosToken: '', eosToken: '<|im_end|>' });
  const scripts = [WORKLOADS.edit, WORKLOADS.prose].map((w) => ({ script: w.answer, startAfter: promptEnding(renderer, w) }));
  const common = { vocab: { gguf: vocabPath('qwen2') }, chatTemplate: template, scripts, memory: 'auto' as const, shortestContexts: true, contextLength: 32768 };
  const started = performance.now();
  const target = await makeContextScriptedModel(
    size === 'bench'
      ? { ...common, minEmbd: 896, minFf: 4864, inertLayers: 23, inertType: 'Q8_0', tensorType: 'Q8_0', layerType: 'F16' }
      : { ...common, inertLayers: 2, inertType: 'Q8_0', tensorType: 'Q8_0', layerType: 'F16' },
  );
  log(`spec target model: ${target.path} (${target.cached ? 'cached' : `generated in ${((performance.now() - started) / 1000).toFixed(0)} s`})`);
  const draft = await makeContextScriptedModel({ ...common, tensorType: 'Q8_0', layerType: 'F16', wrongEvery: DRAFT_WRONG_EVERY });
  log(`spec draft model: ${draft.path} (${draft.cached ? 'cached' : 'generated'})`);
  const shape = (m: ContextScriptedModel): string =>
    `llama, n_embd ${m.embeddingLength} (${m.embeddingLength / 64} heads, as many KV heads), ${m.nLayer} layer${m.nLayer > 1 ? 's' : ''}, n_ff ${m.nFf}, vocab ${m.vocabSize} (real qwen2), Q8_0 token embeddings (tied output)`;
  return {
    target,
    draft,
    template,
    answerTokens: { edit: target.scriptsTokens[0]!.length, prose: target.scriptsTokens[1]!.length },
    description: {
      target: `${shape(target)}; layer 0 scripted (F16, memory ${target.memory}), ${target.nLayer - 1} inert Q8_0 layers (attn_output and ffn_down zero)`,
      draft: `${shape(draft)}; the same scripts, wrong on every ${DRAFT_WRONG_EVERY}th token`,
    },
  };
}
