// Pure tests of path normalisation, key mapping, LIST options and control-line decoding (no store, no server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitListArgs } from '../../src/filesystem/list-args';
import { MAX_KEY_BYTES, dirKey, fileKey, namesDirectory, resolvePath, wildcardMatcher } from '../../src/filesystem/paths';
import { decodeUtf8Escaped, parseCommandLine, splitLines, stripTelnet } from '../../src/ftp/control-lines';

const code = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
};

describe('resolvePath', () => {
  test('relative, absolute, dot segments, empty segments; a backslash is part of a name', () => {
    assert.equal(resolvePath('/', ''), '/');
    assert.equal(resolvePath('/a/b', ''), '/a/b');
    assert.equal(resolvePath('/a/b', 'c'), '/a/b/c');
    assert.equal(resolvePath('/a/b', '/c'), '/c');
    assert.equal(resolvePath('/a/b', './c/./d/'), '/a/b/c/d');
    assert.equal(resolvePath('/a', '//x///y//'), '/x/y');
    assert.equal(resolvePath('/a', 'x\\y\\..\\z'), '/a/x\\y\\..\\z');
    assert.equal(resolvePath('/a', 'x\\y/../z'), '/a/z');
    assert.equal(resolvePath('/a/b', '..'), '/a');
  });

  test('`..` is clamped at the root, however it is spelt', () => {
    for (const arg of ['..', '../..', '/..', '/../../etc/passwd', '..\\..\\x', 'a/../../..', '.../..', '/./../.']) {
      const p = resolvePath('/', arg);
      assert.ok(!p.split('/').includes('..'), `${arg} -> ${p}`);
    }
    assert.equal(resolvePath('/a', '../../../etc/passwd'), '/etc/passwd');
    assert.equal(resolvePath('/', '..\\..\\secret'), '/..\\..\\secret', 'one name, inside the root');
    // `...` is a name, not a parent
    assert.equal(resolvePath('/', '.../x'), '/.../x');
  });

  test('percent and look-alike sequences are names, never decoded', () => {
    assert.equal(resolvePath('/', '%2e%2e/x'), '/%2e%2e/x');
    assert.equal(resolvePath('/', '..%2f..%2fx'), '/..%2f..%2fx');
    assert.equal(resolvePath('/', '\u2025/x'), '/\u2025/x'); // two-dot leader
    assert.equal(resolvePath('/', '\uff0e\uff0e/x'), '/\uff0e\uff0e/x'); // fullwidth full stops
  });

  test('NUL, CR, LF and invalid UTF-8 (lone surrogates) are refused with 553', () => {
    assert.equal(code(() => resolvePath('/', 'a\0b')), 553);
    assert.equal(code(() => resolvePath('/', 'a\rb')), 553);
    assert.equal(code(() => resolvePath('/', 'a\nb')), 553);
    assert.equal(code(() => resolvePath('/', `a${decodeUtf8Escaped(Buffer.from([0xff]))}`)), 553);
    assert.equal(code(() => resolvePath('/', 'x/..\0')), 553);
    assert.equal(code(() => resolvePath('/', '한국어 中文 😀')), undefined);
  });
});

describe('keys', () => {
  test('a key is always the prefix plus the normalised path', () => {
    for (const prefix of ['', 'users/alice/']) {
      for (const arg of ['../../other/x', '/../x', '..\\x', 'a/../../x', '//x']) {
        const key = fileKey(prefix, resolvePath('/', arg));
        assert.ok(key.startsWith(prefix), key);
        assert.ok(!key.slice(prefix.length).split('/').includes('..'), key);
        assert.ok(!key.includes('//'), key);
        assert.ok(!key.startsWith('/'), key);
      }
    }
    assert.equal(fileKey('p/', '/a/b'), 'p/a/b');
    assert.equal(dirKey('p/', '/a/b'), 'p/a/b/');
    assert.equal(dirKey('p/', '/'), 'p/');
    assert.equal(dirKey('', '/'), '');
  });

  test('the root is not a file; keys over 850 bytes are refused with 553', () => {
    assert.equal(code(() => fileKey('', '/')), 553);
    assert.equal(code(() => fileKey('', `/${'a'.repeat(MAX_KEY_BYTES)}`)), undefined);
    assert.equal(code(() => fileKey('', `/${'a'.repeat(MAX_KEY_BYTES + 1)}`)), 553);
    assert.equal(code(() => fileKey('p/', `/${'a'.repeat(MAX_KEY_BYTES - 1)}`)), 553);
    assert.equal(code(() => fileKey('', `/${'한'.repeat(284)}`)), 553); // 852 bytes
    assert.equal(code(() => dirKey('', `/${'a'.repeat(MAX_KEY_BYTES)}`)), 553); // marker needs one byte more
  });

  test('namesDirectory: a trailing slash or dot segment means a directory', () => {
    for (const arg of ['a/', 'a/.', '..', '.', '', 'a/..']) assert.ok(namesDirectory(arg), arg);
    for (const arg of ['a', 'a/b', '.a', '...']) assert.ok(!namesDirectory(arg), arg);
  });
});

describe('LIST options', () => {
  test('leading -x words are options, the rest is the path (spaces kept)', () => {
    assert.deepEqual(splitListArgs(null), { options: '', path: null });
    assert.deepEqual(splitListArgs('-la'), { options: 'la', path: null });
    assert.deepEqual(splitListArgs('-a -l dir'), { options: 'al', path: 'dir' });
    assert.deepEqual(splitListArgs('-la my dir'), { options: 'la', path: 'my dir' });
    assert.deepEqual(splitListArgs('my dir'), { options: '', path: 'my dir' });
    assert.deepEqual(splitListArgs('-'), { options: '', path: '-' });
  });
});

describe('control lines', () => {
  test('the argument is the rest of the line, quotes and -x kept', () => {
    assert.deepEqual(parseCommandLine('dele -x'), { directive: 'DELE', arg: '-x', flags: [], raw: 'dele -x' });
    assert.equal(parseCommandLine('STOR "a b".txt').arg, '"a b".txt');
    assert.equal(parseCommandLine('CWD  two  spaces ').arg, ' two  spaces ');
    assert.equal(parseCommandLine('PWD').arg, null);
    assert.equal(parseCommandLine('NOOP ').arg, null);
  });

  test('lines are split on CRLF only; the rest waits for more bytes', () => {
    const { lines, rest } = splitLines(Buffer.from('USER a\r\nPASS b\r\nCWD x\ny\r\nLI'));
    assert.deepEqual(lines.map(String), ['USER a', 'PASS b', 'CWD x\ny']);
    assert.equal(String(rest), 'LI');
  });

  test('UTF-8 decoding: valid text intact, invalid bytes become lone surrogates', () => {
    const text = '한국어 中文 😀 é';
    assert.equal(decodeUtf8Escaped(Buffer.from(text, 'utf8')), text);
    const bad = decodeUtf8Escaped(Buffer.from([0x61, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf5]));
    assert.equal(bad[0], 'a');
    assert.equal(bad[2], '(');
    assert.equal(bad.length, 9);
    for (const i of [1, 3, 4, 5, 6, 7, 8]) assert.ok(bad.charCodeAt(i) >= 0xdc80 && bad.charCodeAt(i) <= 0xdcff, String(i));
  });

  test('Telnet IAC sequences are dropped (IAC IP IAC DM before ABOR)', () => {
    assert.equal(String(stripTelnet(Buffer.from([0xff, 0xf4, 0xff, 0xf2, 0x41, 0x42, 0x4f, 0x52]))), 'ABOR');
    assert.equal(String(stripTelnet(Buffer.from('NOOP'))), 'NOOP');
    assert.deepEqual([...stripTelnet(Buffer.from([0x4d, 0xff, 0xfe, 0x41]))], [0x4d, 0xff, 0xfe, 0x41]);
  });
});

describe('wildcards', () => {
  test('* and ? match as in a shell, over characters (not bytes); everything else is literal', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*.txt', 'a.txt', true],
      ['*.txt', 'a.txt.gz', false],
      ['a?c', 'abc', true],
      ['a?c', 'ac', false],
      ['한?.log', '한국.log', true],
      ['*', '', true],
      ['a*b*c', 'aXXbYYc', true],
      ['a*b*c', 'aXXbYY', false],
      ['[ab].txt', '[ab].txt', true],
      ['[ab].txt', 'a.txt', false],
      ['x.+', 'x.+', true],
      ['x.+', 'xx+', false],
    ];
    for (const [pattern, name, expected] of cases) {
      assert.equal(wildcardMatcher(pattern).test(name), expected, `${pattern} ~ ${name}`);
    }
  });

  test('a pattern that makes a backtracking RegExp explode is answered at once', () => {
    const name = 'a'.repeat(800);
    assert.equal(wildcardMatcher(`${'*a'.repeat(40)}*b`).test(name), false);
    assert.equal(wildcardMatcher(`${'*a'.repeat(40)}*`).test(name), true);
  });
});
