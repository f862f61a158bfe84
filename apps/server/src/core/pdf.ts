import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

/**
 * PDFs with Chinese text. The font is the committed GB 2312 subset of Noto Sans CJK SC
 * (scripts/make-cjk-font.mjs), so a fresh install prints Chinese without system fonts;
 * pdfkit embeds only the glyphs a document uses.
 */
export const CJK_FONT_PATH = fileURLToPath(new URL('../../assets/fonts/NotoSansSC-GB2312.otf', import.meta.url));
export const CJK_FONT = 'cjk';

export type PdfDocument = InstanceType<typeof PDFDocument>;

/** Draw a document with the CJK font selected and collect its bytes. */
export async function renderPdf(
  options: {
    size?: string | [number, number];
    layout?: 'portrait' | 'landscape';
    title: string;
    /** Document metadata; kept ASCII where a machine (or a test) should read it plainly. */
    subject?: string;
    keywords?: string;
  },
  draw: (doc: PdfDocument) => Promise<void> | void,
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: options.size ?? 'A4',
    layout: options.layout ?? 'portrait',
    margin: 0,
    info: {
      Title: options.title,
      Producer: '智慧工会',
      ...(options.subject ? { Subject: options.subject } : {}),
      ...(options.keywords ? { Keywords: options.keywords } : {}),
    },
  });
  doc.registerFont(CJK_FONT, CJK_FONT_PATH);
  doc.font(CJK_FONT);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  await draw(doc);
  doc.end();
  return done;
}

/** A QR code as PNG bytes, for `doc.image`. */
export function qrPng(text: string, width = 240): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', width, margin: 1, errorCorrectionLevel: 'M' });
}
