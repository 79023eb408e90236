import fs from 'node:fs';
import PDFDocument from 'pdfkit';
import { DIAL_IN_HINT, tierLabel, userName, utcStamp, type HandoutData } from './data.js';

export interface HandoutPdfOptions {
  /**
   * TrueType fonts to embed, or 'builtin' for PDF's standard Helvetica. Default: the first of
   * Liberation Sans (Debian fonts-liberation) or DejaVu Sans (fonts-dejavu-core) that is installed —
   * both cover accented Latin, Greek and Cyrillic names — else 'builtin' (WinAnsi only).
   */
  fonts?: { regular: string; bold: string } | 'builtin';
}

const SYSTEM_FONTS = [
  { regular: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', bold: '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf' },
  { regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
];

// Characters Helvetica's WinAnsi encoding can show; anything else would print as garbage.
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const toWinAnsi = (s: string): string =>
  [...s].map((ch) => (((ch.codePointAt(0) ?? 0) >= 0x20 && (ch.codePointAt(0) ?? 0) <= 0xff) || WIN_ANSI_EXTRA.includes(ch) ? ch : '?')).join('');

const BLUE = '#1456a0';
const MARGIN = 50;

/** The handout as an A4 PDF (pdfkit), with the same content as the HTML version. */
export function renderHandoutPdf(data: HandoutData, options: HandoutPdfOptions = {}): Promise<Buffer> {
  let fonts = options.fonts;
  if (fonts === undefined) fonts = SYSTEM_FONTS.find((f) => fs.existsSync(f.regular) && fs.existsSync(f.bold)) ?? 'builtin';
  const clean = fonts === 'builtin' ? toWinAnsi : (s: string) => s;

  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: clean(`${data.company.name} - video service handout`),
      Creator: 'Convene',
      CreationDate: data.generatedAt,
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  let regular = 'Helvetica';
  let bold = 'Helvetica-Bold';
  if (fonts !== 'builtin') {
    doc.registerFont('body', fonts.regular);
    doc.registerFont('body-bold', fonts.bold);
    regular = 'body';
    bold = 'body-bold';
  }

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN - 20; // leave room for the footer

  doc.font(bold).fontSize(20).fillColor('#1a1a1a').text(clean(data.company.name), left, MARGIN, { width });
  doc.font(regular).fontSize(10).fillColor('#555555').text(clean(`Video service handout \u00b7 generated ${utcStamp(data.generatedAt)}`), { width });
  doc.moveDown(0.5);

  const section = (title: string, headers: string[], colFractions: number[], rows: string[][]) => {
    const cols = colFractions.map((f) => f * width);
    const pad = 4;
    const drawHeader = () => {
      const y = doc.y;
      doc.font(bold).fontSize(9.5);
      const h = Math.max(...headers.map((t, i) => doc.heightOfString(clean(t), { width: (cols[i] ?? 0) - 2 * pad }))) + 2 * pad;
      doc.rect(left, y, width, h).fill('#eef3f9');
      let x = left;
      headers.forEach((t, i) => {
        doc.fillColor('#1a1a1a').text(clean(t), x + pad, y + pad, { width: (cols[i] ?? 0) - 2 * pad });
        x += cols[i] ?? 0;
      });
      doc.y = y + h;
    };

    // Keep the heading with at least the table header and one row.
    if (doc.y + 70 > bottom()) doc.addPage();
    doc.moveDown(0.8);
    const headY = doc.y;
    doc.font(bold).fontSize(13).fillColor(BLUE).text(clean(`${title} (${rows.length})`), left, headY, { width });
    doc.moveTo(left, doc.y + 1).lineTo(left + width, doc.y + 1).lineWidth(1.5).strokeColor(BLUE).stroke();
    doc.y += 6;
    if (rows.length === 0) {
      doc.font(regular).fontSize(10).fillColor('#777777').text('None.', left, doc.y, { width });
      return;
    }
    drawHeader();
    doc.font(regular).fontSize(10);
    for (const row of rows) {
      const texts = row.map(clean);
      const h = Math.max(...texts.map((t, i) => doc.heightOfString(t, { width: (cols[i] ?? 0) - 2 * pad }))) + 2 * pad;
      if (doc.y + h > bottom()) {
        doc.addPage();
        drawHeader();
        doc.font(regular).fontSize(10);
      }
      const y = doc.y;
      let x = left;
      texts.forEach((t, i) => {
        doc.fillColor('#1a1a1a').text(t, x + pad, y + pad, { width: (cols[i] ?? 0) - 2 * pad });
        x += cols[i] ?? 0;
      });
      doc.moveTo(left, y + h).lineTo(left + width, y + h).lineWidth(0.5).strokeColor('#dddddd').stroke();
      doc.y = y + h;
    }
  };

  section('Endpoints', ['Name', 'Address', 'License'], [0.3, 0.45, 0.25], data.endpoints.map((e) => [e.name, e.address, tierLabel(e.tier)]));
  section('Users', ['Name', 'Personal address', 'Meeting room (VMR)', 'Numeric ID'], [0.22, 0.32, 0.32, 0.14], data.users.map((u) => [userName(u), u.personalAddress, u.vmrAddress, String(u.numericId ?? '')]));
  section('Team meeting rooms', ['Name', 'Address', 'Numeric ID'], [0.3, 0.5, 0.2], data.teamVmrs.map((t) => [t.name, t.address, String(t.numericId)]));
  // No dial-in numbers: no section and no "call a dial-in number" advice.
  if (data.dialInNumbers.length > 0) {
    section('PSTN dial-in numbers', ['Number', 'Description'], [0.35, 0.65], data.dialInNumbers.map((d) => [d.number, d.label]));
    if (doc.y + 40 > bottom()) doc.addPage();
    doc.moveDown(1);
    doc.font(regular).fontSize(10).fillColor('#333333').text(clean(DIAL_IN_HINT), left, doc.y, { width });
  }

  // Footer on every page, written once the page count is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const footer = clean(`${data.company.name} \u00b7 page ${i - range.start + 1} of ${range.count}`);
    // Drawing inside the bottom margin: lift the margin so pdfkit does not start a new page.
    const savedBottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font(regular).fontSize(8).fillColor('#777777').text(footer, left, doc.page.height - MARGIN + 10, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = savedBottom;
  }
  doc.end();
  return done;
}
