// The text a model without vision reads in place of an image. No model this server runs has
// vision, and a conversation keeps its images in every later request: a 400 for an image would
// end the conversation for good (a Claude Code session whose Read tool returned a PNG). So both
// APIs put this note where each image was, unless the server runs with `--reject-images`.
// The note never carries the image itself: a data URL or base64 payload would flood the prompt.

/** What is known about an image the model will not see. */
export type ImageInfo =
  /** Bytes sent inline (base64, a data: URL): their media type when given, and their decoded size. */
  | { kind: 'inline'; mediaType?: string; bytes: number }
  /** A link; the note names only its host. */
  | { kind: 'url'; url: string }
  /** Something the server cannot look into (an uploaded file's id, a newer source type). */
  | { kind: 'other'; label: string };

/** The note that stands in the prompt where the image was. */
export function imageNote(image: ImageInfo): string {
  return `[image: ${describe(image)} — not shown, this model has no vision support]`;
}

/** The one warning a request whose images became notes logs. */
export function imagesReplacedWarning(count: number): string {
  return `${count === 1 ? '1 image' : `${count} images`} replaced by a text note: the model has no vision support (--reject-images refuses such requests instead)`;
}

/** Base64 bytes with their media type, as Anthropic's `base64` image source sends them. */
export function inlineImage(mediaType: string | undefined, base64: string): ImageInfo {
  return { kind: 'inline', ...(mediaType ? { mediaType } : {}), bytes: base64Size(base64) };
}

/** An image given by URL: a `data:` URL is inline bytes (media type and size read from it), anything else a link. */
export function imageOfUrl(url: string): ImageInfo {
  if (!/^data:/i.test(url)) return { kind: 'url', url };
  const comma = url.indexOf(',');
  if (comma < 0) return { kind: 'inline', bytes: 0 };
  const [mediaType, ...params] = url.slice('data:'.length, comma).split(';');
  const data = url.slice(comma + 1);
  const base64 = params.some((param) => param.trim().toLowerCase() === 'base64');
  return { kind: 'inline', ...(mediaType?.trim() ? { mediaType: mediaType.trim() } : {}), bytes: base64 ? base64Size(data) : percentDecodedSize(data) };
}

function describe(image: ImageInfo): string {
  switch (image.kind) {
    case 'inline':
      return image.mediaType ? `${image.mediaType}, ${formatSize(image.bytes)}` : formatSize(image.bytes);
    case 'url':
      return hostOf(image.url);
    case 'other':
      return image.label;
  }
}

/** Decoded size of base64 text (standard or URL-safe, padded or not, whitespace ignored). */
function base64Size(text: string): number {
  const compact = text.replace(/\s+/g, '');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor(((compact.length - padding) * 3) / 4));
}

function percentDecodedSize(text: string): number {
  try {
    return Buffer.byteLength(decodeURIComponent(text));
  } catch {
    return Buffer.byteLength(text);
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host !== '' ? parsed.host : 'url';
  } catch {
    return 'url';
  }
}
