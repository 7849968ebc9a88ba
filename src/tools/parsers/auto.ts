/**
 * `auto`: for a model whose family is not configured, watch every family's markers at once. The
 * first block that is shaped like its family's call picks that family for the rest of the response;
 * from then on only its markers count. Everything that merely mentions a marker stays text: a marker
 * in code or prose (see the scanner), or a block whose body is not call-shaped ("the `<tool_call>` tag").
 * Families that share a start marker are told apart by the body. Markerless calls (Llama 3's bare
 * JSON, a pythonic list) are only taken at the output start and only when they name a requested tool,
 * since a reply may well open with JSON or `[`.
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock, ScannerSpec } from "./internal/marker-scanner.js";
import { isMarkerlessJsonBlock, namesRequestedTool } from "./internal/markerless-json-spec.js";
import { isLooseWrapperBlock } from "./hermes.js";
import { matchHead, SPACE, type HeadAlternatives, type HeadStep } from "./internal/match-head.js";
import { normalizeToolName, toolNameSet } from "./internal/tool-name-set.js";
import type { ToolCallParserOptions, ToolCallTextParser, ToolParseEvent } from "./types.js";

export interface Owner {
  readonly family: FamilySpec;
  readonly block: CallBlock;
}

const LLAMA3_HEAD: readonly HeadStep[] = [SPACE, "{", SPACE, '"name"', SPACE, ":", SPACE, '"', /[^"\\]*/y, '"'];
const PYTHONIC_HEAD: readonly HeadStep[] = [SPACE, "[", SPACE, /[A-Za-z_][\w.-]*/y, SPACE, "("];
// Whitespace can pad a head forever; past this much it is not a call worth waiting for.
const MAX_HEAD = 4096;

type Markerless = readonly { readonly family: FamilySpec; readonly head: "llama3" | "pythonic" }[];

/**
 * What auto watches, built once from the families: it depends on nothing in a request, and building
 * it (and the scanner's marker index over its arrays) per response cost more than a short reply.
 */
export interface AutoFamilies {
  /** The owners of each watched block; a merged block (a start marker families share) has several. */
  readonly ownersOf: ReadonlyMap<CallBlock, readonly Owner[]>;
  readonly unionBlocks: readonly CallBlock[];
  /** Each family's blocks once it is picked, one array per family so its marker index is kept. */
  readonly pickedBlocks: ReadonlyMap<FamilySpec, readonly CallBlock[]>;
  readonly markerless: Markerless;
}

const NO_TOOLS: ReadonlySet<string> = new Set();

const claim = (owners: readonly Owner[], body: string, toolNames: ReadonlySet<string>): Owner | undefined =>
  owners.find((owner) => owner.family.callShaped(owner.block, body, toolNames));

/** Whether an end marker after `body` closes `block`, asking the owner the body belongs to. */
const acceptsEndOf = (owners: readonly Owner[], body: string, toolNames: ReadonlySet<string>): boolean =>
  claim(owners, body, toolNames)?.block.acceptsEnd?.(body) ?? true;

export function compileAutoFamilies(families: readonly FamilySpec[], markerless: Markerless): AutoFamilies {
  const ownersOf = new Map<CallBlock, Owner[]>();
  // Blocks by start marker; a block that opens only in one place (a fence's content, a line's start)
  // by itself: merged with another of the same start, the merged block would open anywhere.
  const byStart = new Map<string | CallBlock, Owner[]>();
  const pickedBlocks = new Map<FamilySpec, readonly CallBlock[]>();
  // Shapes of no family stay watched once a family is picked.
  const anyFamilyBlocks = families.filter((family) => family.anyFamily === true).flatMap((family) => family.blocks);
  for (const family of families) {
    pickedBlocks.set(family, [...family.blocks.filter((block) => block.atOutputStart !== true), ...(family.anyFamily === true ? [] : anyFamilyBlocks)]);
    for (const block of family.blocks) {
      if (block.atOutputStart === true) continue;
      ownersOf.set(block, [{ family, block }]);
      const key = block.fenceInfo !== undefined || block.atLineStart === true ? block : block.start;
      byStart.set(key, [...(byStart.get(key) ?? []), { family, block }]);
    }
  }
  const unionBlocks = [...byStart.values()].map((owners): CallBlock => {
    const [first] = owners;
    if (owners.length === 1 && first !== undefined) return first.block;
    // Families sharing a start marker also share its end marker (`</tool_call>`, `</function>`).
    // The parser's spec answers acceptsEnd with the request's tool names; this one is its fallback.
    const heads = owners.map((owner) => owner.block.head);
    const merged: CallBlock = {
      start: first?.block.start ?? "",
      end: first?.block.end ?? null,
      acceptsEnd: (body) => acceptsEndOf(owners, body, NO_TOOLS),
      // Any owner's opening will do; one owner without a head takes any body.
      ...(heads.every((head) => head !== undefined) ? { head: heads.flat() as HeadAlternatives } : {}),
    };
    ownersOf.set(merged, owners);
    return merged;
  });
  return { ownersOf, unionBlocks, pickedBlocks, markerless };
}

export function createAutoParser(compiled: AutoFamilies, options: ToolCallParserOptions): ToolCallTextParser {
  const { ownersOf, unionBlocks, markerless } = compiled;
  // Built on first use: a reply with no marker and no call-like start never needs it.
  let requested: ReadonlySet<string> | undefined;
  const toolNames = (): ReadonlySet<string> => (requested ??= toolNameSet(options.toolNames));
  // A call without markers opens only on a requested tool, and on none when only a family's own markup is read.
  const markerlessNames = (): ReadonlySet<string> => (options.ownMarkupOnly === true ? NO_TOOLS : toolNames());

  let picked: FamilySpec | null = null;
  let pickedBlocks: readonly CallBlock[] = [];
  const spec: ScannerSpec = {
    get blocks() {
      return picked === null ? unionBlocks : pickedBlocks;
    },
    // A block no family claims is no call: the scanner keeps its marker as text and reads on.
    parse: (scanned: ScannedBlock): ToolParseEvent[] | null => {
      const owner = claim(ownersOf.get(scanned.block) ?? [], scanned.body, toolNames());
      // Another wrapper tag is Hermes read loosely: with only a family's own markup read, no call.
      if (owner === undefined || (options.ownMarkupOnly === true && isLooseWrapperBlock(owner.block))) return null;
      const anyFamily = owner.family.anyFamily === true;
      if (picked === null && !anyFamily && owner.family.picksFamily?.(owner.block) !== false) {
        picked = owner.family;
        pickedBlocks = compiled.pickedBlocks.get(owner.family) ?? [];
      }
      if (picked === owner.family || anyFamily) return owner.family.parse({ ...scanned, block: owner.block });
      return null;
    },
    // A call without markers opens only on a requested tool (see markerless-json-spec.ts).
    acceptsHead: (block, name) => !isMarkerlessJsonBlock(block) || namesRequestedTool(markerlessNames(), name),
    acceptsEnd: (block, body) => {
      const owners = ownersOf.get(block);
      // A block of one family (watched alone, or the picked family's) answers for itself.
      if (owners === undefined || owners.length === 1) return block.acceptsEnd?.(body) ?? true;
      return acceptsEndOf(owners, body, toolNames());
    },
  };

  /** Which parser the output start calls for, or null while its first characters could still go either way. */
  const chooseAtStart = (start: string, final: boolean): ToolCallTextParser | null => {
    for (const { family, head } of markerless) {
      const match = matchHead(start, head === "llama3" ? LLAMA3_HEAD : PYTHONIC_HEAD);
      if (match.kind === "partial" && !final && start.length < MAX_HEAD) return null;
      if (match.kind === "yes" && markerlessNames().has(normalizeToolName(match.name))) return createMarkerScanner(family);
    }
    return createMarkerScanner(spec);
  };

  let start = "";
  let parser: ToolCallTextParser | null = null;
  const feed = (chunk: string, final: boolean): ToolParseEvent[] => {
    if (parser !== null) return final ? parser.end() : parser.feed(chunk);
    start += chunk;
    parser = chooseAtStart(start, final);
    if (parser === null) return [];
    return final ? [...parser.feed(start), ...parser.end()] : parser.feed(start);
  };

  return {
    feed: (chunk) => feed(chunk, false),
    end: () => feed("", true),
  };
}
