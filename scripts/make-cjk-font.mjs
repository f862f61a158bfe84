#!/usr/bin/env node
/**
 * Builds apps/server/assets/fonts/NotoSansSC-GB2312.otf, the CJK font the server's PDFs
 * embed, from Debian's Noto Sans CJK collection. Run once by hand (`node
 * scripts/make-cjk-font.mjs`); the result is committed, so a fresh machine needs no system
 * fonts after `npm install`.
 *
 * The whole collection is 19 MB and 65,535 glyphs; certificates and cards print names,
 * union names and titles, which GB 2312's 6,763 hanzi cover, plus ASCII, Latin-1, CJK
 * punctuation and full-width forms. fontkit subsets a CFF font only into a bare CFF table
 * (what a PDF embeds), so this script wraps that table into an OpenType file itself:
 * cmap (format 12), hmtx, maxp 0.5, post 3.0 are rebuilt for the new glyph ids; head,
 * hhea, OS/2 and name are copied. Layout tables (GSUB, GPOS, vertical metrics) are left
 * out: the PDFs set horizontal text without shaping.
 *
 * Noto Sans CJK is under the SIL Open Font License 1.1 (OFL.txt beside the font), which
 * allows subsetting and redistribution with the licence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { TextDecoder } from 'node:util';
import * as fontkit from 'fontkit';

const SOURCE = process.argv[2] ?? '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const POSTSCRIPT_NAME = 'NotoSansCJKsc-Regular';
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OUT = path.join(root, 'apps/server/assets/fonts/NotoSansSC-GB2312.otf');

/** Code points to keep: ASCII, Latin-1, GB 2312 (all rows: symbols and both hanzi levels), CJK punctuation, full-width forms. */
function wantedCodePoints() {
  const cps = new Set();
  for (let c = 0x20; c <= 0x7e; c++) cps.add(c);
  for (let c = 0xa0; c <= 0xff; c++) cps.add(c);
  for (let c = 0x3000; c <= 0x303f; c++) cps.add(c);
  for (let c = 0xff01; c <= 0xff65; c++) cps.add(c);
  for (const c of '—–‘’“”…‰′″※€№℃Ⅰ…ⅫⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ①②③④⑤⑥⑦⑧⑨⑩■□▲△◆◇○●★☆') cps.add(c.codePointAt(0));
  const gb = new TextDecoder('gb18030');
  for (let hi = 0xa1; hi <= 0xf7; hi++) {
    for (let lo = 0xa1; lo <= 0xfe; lo++) {
      const s = gb.decode(Uint8Array.from([hi, lo]));
      const cp = s.codePointAt(0);
      // Unassigned GB 2312 cells decode to a private-use or replacement character.
      if (s.length === 1 && cp !== 0xfffd && !(cp >= 0xe000 && cp <= 0xf8ff)) cps.add(cp);
    }
  }
  return [...cps].sort((a, b) => a - b);
}

function tableBytes(font, tag) {
  const t = font.directory.tables[tag];
  return Buffer.from(font.stream.buffer.subarray(t.offset, t.offset + t.length));
}

function checksum(buf) {
  const padded = Buffer.concat([buf, Buffer.alloc((4 - (buf.length % 4)) % 4)]);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
  return sum;
}

const collection = fontkit.openSync(SOURCE);
const font = collection.fonts.find((f) => f.postscriptName === POSTSCRIPT_NAME);
if (!font) throw new Error(`${POSTSCRIPT_NAME} not found in ${SOURCE}`);

const subset = font.createSubset();
/** new glyph id per code point */
const cmap = new Map();
for (const cp of wantedCodePoints()) {
  const glyph = font.glyphForCodePoint(cp);
  if (glyph.id === 0) continue;
  cmap.set(cp, subset.includeGlyph(glyph.id));
}
const cff = Buffer.from(subset.encode());
const numGlyphs = subset.glyphs.length;

const hmtx = Buffer.alloc(numGlyphs * 4);
subset.glyphs.forEach((gid, i) => {
  const g = font.getGlyph(gid);
  hmtx.writeUInt16BE(g.advanceWidth, i * 4);
  hmtx.writeInt16BE(g.bbox.minX === Infinity ? 0 : Math.round(g.bbox.minX), i * 4 + 2);
});

const hhea = tableBytes(font, 'hhea');
hhea.writeUInt16BE(numGlyphs, 34);

const head = tableBytes(font, 'head');
head.writeUInt32BE(0, 8); // checkSumAdjustment, set at the end

const maxp = Buffer.alloc(6);
maxp.writeUInt32BE(0x00005000, 0);
maxp.writeUInt16BE(numGlyphs, 4);

const post = tableBytes(font, 'post').subarray(0, 32);
post.writeUInt32BE(0x00030000, 0);

// cmap: one (3,10) format 12 subtable of sequential groups.
const groups = [];
for (const [cp, gid] of [...cmap].sort((a, b) => a[0] - b[0])) {
  const last = groups.at(-1);
  if (last && cp === last.end + 1 && gid === last.gid + (cp - last.start)) last.end = cp;
  else groups.push({ start: cp, end: cp, gid });
}
const sub = Buffer.alloc(16 + groups.length * 12);
sub.writeUInt16BE(12, 0);
sub.writeUInt32BE(sub.length, 4);
sub.writeUInt32BE(groups.length, 12);
groups.forEach((g, i) => {
  sub.writeUInt32BE(g.start, 16 + i * 12);
  sub.writeUInt32BE(g.end, 20 + i * 12);
  sub.writeUInt32BE(g.gid, 24 + i * 12);
});
const cmapHeader = Buffer.alloc(12);
cmapHeader.writeUInt16BE(0, 0);
cmapHeader.writeUInt16BE(1, 2);
cmapHeader.writeUInt16BE(3, 4);
cmapHeader.writeUInt16BE(10, 6);
cmapHeader.writeUInt32BE(12, 8);
const cmapTable = Buffer.concat([cmapHeader, sub]);

const tables = {
  'CFF ': cff,
  'OS/2': tableBytes(font, 'OS/2'),
  cmap: cmapTable,
  head,
  hhea,
  hmtx,
  maxp,
  name: tableBytes(font, 'name'),
  post,
};
const tags = Object.keys(tables).sort();
const numTables = tags.length;
const entrySelector = Math.floor(Math.log2(numTables));
const searchRange = 2 ** entrySelector * 16;
const header = Buffer.alloc(12 + numTables * 16);
header.write('OTTO', 0, 'latin1');
header.writeUInt16BE(numTables, 4);
header.writeUInt16BE(searchRange, 6);
header.writeUInt16BE(entrySelector, 8);
header.writeUInt16BE(numTables * 16 - searchRange, 10);
let offset = header.length;
const bodies = [];
tags.forEach((tag, i) => {
  const data = tables[tag];
  header.write(tag, 12 + i * 16, 'latin1');
  header.writeUInt32BE(checksum(data), 16 + i * 16);
  header.writeUInt32BE(offset, 20 + i * 16);
  header.writeUInt32BE(data.length, 24 + i * 16);
  const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
  bodies.push({ tag, at: offset, padded });
  offset += padded.length;
});
const file = Buffer.concat([header, ...bodies.map((b) => b.padded)]);
const headAt = bodies.find((b) => b.tag === 'head').at;
file.writeUInt32BE((0xb1b0afba - checksum(file)) >>> 0, headAt + 8);

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, file);
const check = fontkit.create(file);
process.stdout.write(
  `${path.relative(root, OUT)}: ${numGlyphs} glyphs, ${cmap.size} code points, ${(file.length / 1e6).toFixed(2)} MB; ` +
    `"劳模" → glyphs ${check.glyphsForString('劳模').map((g) => g.id)}\n`,
);
