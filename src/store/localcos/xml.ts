// Just enough XML for COS: writing response documents (no whitespace between elements: the SDK parses with
// trimValues off) and reading the two small request documents (Complete Multipart Upload, Delete Multiple).

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export type XmlValue = string | number | boolean | XmlNode | XmlNode[] | undefined;
/** Element name -> value; arrays repeat the element; undefined omits it. Insertion order is output order. */
export interface XmlNode {
  [name: string]: XmlValue | XmlValue[];
}

function writeValue(out: string[], name: string, value: XmlValue | XmlValue[]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) writeValue(out, name, item);
    return;
  }
  out.push('<', name, '>');
  if (typeof value === 'object') writeNode(out, value);
  else out.push(escapeXml(String(value)));
  out.push('</', name, '>');
}

function writeNode(out: string[], node: XmlNode): void {
  for (const name of Object.keys(node)) writeValue(out, name, node[name]);
}

/** `<?xml ...?><root>...</root>` */
export function xmlDocument(root: string, node: XmlNode): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeValue(out, root, node);
  return out.join('');
}

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity] as string;
  });
}

/** Inner texts of every `<name>...</name>` directly or indirectly inside `xml` (no nesting of the same name). */
export function elements(xml: string, name: string): string[] {
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}\\s*>|<${name}\\s*/>`, 'g');
  const found: string[] = [];
  for (let m = re.exec(xml); m; m = re.exec(xml)) found.push(m[1] ?? '');
  return found;
}

/** Decoded text of the first `<name>` element, or undefined. */
export function elementText(xml: string, name: string): string | undefined {
  const all = elements(xml, name);
  return all.length ? decodeXmlText(all[0]) : undefined;
}
