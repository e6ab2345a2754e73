// Reads the INI text of conf/vsftpd.conf into sections of raw string values, with line numbers.
//
// Comment rule (documented in README and the example file):
// - a line whose first non-blank character is `#` or `;` is a comment;
// - after a value, `#` or `;` starts a comment only when preceded by a blank (`key = value   # comment`), so
//   `pass#1` and `a;b` are kept as written;
// - a value wrapped in double or single quotes is taken verbatim up to the closing quote, the first quote that is
//   followed only by blanks or a comment (`ftp_login_user_password = "p #w;d"  # comment` gives `p #w;d`); quote
//   a value that contains ` #` or ` ;` or must keep leading/trailing blanks.
// Keys are case-insensitive (lower-cased, as Python's ConfigParser does); section names are case-sensitive.
// The cleaned lines are then parsed by the `ini` package, each value escaped with ini.safe so it survives as is.
import ini from 'ini';

export interface IniValue {
  value: string;
  line: number;
}

export interface IniSource {
  /** Section name -> key (lower case) -> value. Sections keep their file order. */
  sections: Map<string, Map<string, IniValue>>;
  /** Line numbers of section headers. */
  sectionLines: Map<string, number>;
  /** Problems that do not stop loading (duplicate keys, lines outside any section). */
  warnings: string[];
  /** Lines that cannot be read at all. */
  errors: string[];
}

const SECTION = /^\[([^\]]+)\]\s*(?:[#;].*)?$/;

/** The value text after `=`: quotes honoured, trailing ` # comment` / ` ; comment` removed. */
export function cleanValue(raw: string): { value: string; error?: string } {
  const text = raw.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    // The closing quote is the first one followed only by blanks or a comment, so a quote may appear both
    // inside the value and in the trailing comment.
    for (let end = text.indexOf(quote, 1); end > 0; end = text.indexOf(quote, end + 1)) {
      if (/^\s*(?:[#;].*)?$/.test(text.slice(end + 1))) return { value: text.slice(1, end) };
    }
    const last = text.lastIndexOf(quote);
    if (last > 0) return { value: stripComment(text), error: `text after the closing quote: ${text.slice(last + 1).trim()}` };
    return { value: stripComment(text), error: 'unterminated quote' };
  }
  return { value: stripComment(text) };
}

function stripComment(text: string): string {
  const m = /\s[#;]/.exec(text);
  return (m ? text.slice(0, m.index) : text).trim();
}

export function readIni(text: string): IniSource {
  const warnings: string[] = [];
  const errors: string[] = [];
  const cleaned: string[] = [];
  const lineOf = new Map<string, number>();
  const scanned = new Map<string, string>();
  const sectionLines = new Map<string, number>();
  let section: string | undefined;

  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.replace(/^\uFEFF/, '').trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = SECTION.exec(trimmed);
    if (header) {
      section = header[1].trim();
      if (sectionLines.has(section)) warnings.push(`line ${line}: section [${section}] appears twice; its keys are merged`);
      else sectionLines.set(section, line);
      cleaned.push(`[${section.replace(/\./g, '\\.')}]`);
      return;
    }
    const sep = /[=:]/.exec(trimmed);
    if (!sep || sep.index === 0) {
      errors.push(`line ${line}: expected "key = value" or "[SECTION]", found: ${trimmed}`);
      return;
    }
    if (section === undefined) {
      errors.push(`line ${line}: "${trimmed}" is outside any [SECTION]`);
      return;
    }
    const key = trimmed.slice(0, sep.index).trim().toLowerCase();
    const { value, error } = cleanValue(trimmed.slice(sep.index + 1));
    if (error) errors.push(`line ${line}: [${section}] ${key}: ${error}`);
    const id = `${section}\u0000${key}`;
    if (lineOf.has(id)) warnings.push(`line ${line}: [${section}] ${key} is set twice; the last value wins`);
    lineOf.set(id, line);
    scanned.set(id, value);
    cleaned.push(`${key.replace(/[=[\]]/g, '_')} = ${ini.safe(value)}`);
  });

  const parsed = ini.parse(cleaned.join('\n')) as Record<string, unknown>;
  const sections = new Map<string, Map<string, IniValue>>();
  for (const name of sectionLines.keys()) {
    const entries = new Map<string, IniValue>();
    const body = parsed[name];
    if (body && typeof body === 'object') {
      for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
        const id = `${name}\u0000${key}`;
        // ini turns true/false/null into non-strings; the text as written is what the loader interprets.
        const text = typeof value === 'string' ? value : (scanned.get(id) ?? String(value));
        entries.set(key, { value: text, line: lineOf.get(id) ?? 0 });
      }
    }
    sections.set(name, entries);
  }
  return { sections, sectionLines, warnings, errors };
}
