//! The online security code card (T3) as a file the trader keeps: a one-page PDF made
//! here with `pdf-writer`, in base-14 Helvetica (every reader has it, so no font file
//! is shipped or embedded), and a PNG the page draws on a canvas and hands over as
//! base64. Both are named after the card's device. Plain data in, bytes out: no Tauri.

use crate::error::AppError;
use base64::Engine;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

/// The card as the trader prints it: its codes and whose it is.
#[derive(Clone, PartialEq, Eq)]
pub struct PrintableCard {
    pub device_id: String,
    /// 100 three-digit codes; index `i` is `grid[i]` (D7's numbering, 00–99).
    pub grid: Vec<String>,
    pub username: String,
    pub full_name: String,
    pub account: String,
}

/// The codes are what a login asks for: never in a log line.
impl std::fmt::Debug for PrintableCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintableCard")
            .field("device_id", &self.device_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `online-security-code-card-<DEVICE>.<ext>`; the device id keeps only letters,
/// digits and dashes, so a broker's id can never name another folder.
pub fn file_name(device_id: &str, ext: &str) -> String {
    let device: String = device_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("online-security-code-card-{device}.{ext}")
}

/// A canvas's card is a few hundred KiB; anything past this is not one.
const PNG_MAX_BYTES: usize = 8 * 1024 * 1024;
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The page's canvas as PNG bytes: base64 (with or without its `data:` prefix) that
/// decodes to a PNG, or `invalid_card_image`.
pub fn png(base64_text: &str) -> Result<Vec<u8>, AppError> {
    let bad = |why: &str| {
        AppError::new(
            "invalid_card_image",
            format!("The card's picture could not be saved: {why}."),
        )
    };
    let data = base64_text
        .strip_prefix("data:image/png;base64,")
        .unwrap_or(base64_text);
    if data.len() > PNG_MAX_BYTES / 3 * 4 + 4 {
        return Err(bad("it is too large"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| bad("it is not base64"))?;
    if !bytes.starts_with(PNG_SIGNATURE) {
        return Err(bad("it is not a PNG image"));
    }
    Ok(bytes)
}

// A4 in points, and the grid's place on it.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const GRID_TOP: f32 = 660.0;
const CELL_WIDTH: f32 = (PAGE_WIDTH - 2.0 * MARGIN) / 10.0;
const CELL_HEIGHT: f32 = 46.0;

const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

/// The card as a one-page PDF: a title, the device and its user, how to use it, and
/// the 10 × 10 grid, each cell its index (00–99) then its code, so that `pdftotext`
/// reads them as pairs ("07 123").
pub fn pdf(card: &PrintableCard) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page = Ref::new(3);
    let regular = Ref::new(4);
    let bold = Ref::new(5);
    let contents = Ref::new(6);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(tree)
        .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
        .contents(contents);
    p.resources()
        .fonts()
        .pair(REGULAR, regular)
        .pair(BOLD, bold);
    p.finish();
    pdf.type1_font(regular).base_font(Name(b"Helvetica"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold"));

    let mut content = Content::new();
    heading(&mut content, card);
    grid(&mut content, &card.grid);
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

fn heading(content: &mut Content, card: &PrintableCard) {
    let who = format!(
        "User: {} ({}), account {}",
        card.username, card.full_name, card.account
    );
    let lines: [(Name, f32, f32, &str); 5] = [
        (BOLD, 20.0, 780.0, "Online Security Code Card"),
        (REGULAR, 12.0, 756.0, &format!("Device: {}", card.device_id)),
        (REGULAR, 12.0, 738.0, &who),
        (
            REGULAR,
            10.0,
            712.0,
            "At login, type the codes at the two index numbers shown, together, with no spaces.",
        ),
        (
            REGULAR,
            10.0,
            697.0,
            "Full access for 21 days from activation. Keep this card private.",
        ),
    ];
    for (font, size, y, text) in lines {
        text_at(content, font, size, MARGIN, y, text);
    }
}

/// Each cell: a thin frame, the index small, the code large beside it.
fn grid(content: &mut Content, codes: &[String]) {
    content.set_line_width(0.5).set_stroke_gray(0.6);
    for (index, code) in codes.iter().enumerate().take(100) {
        let (row, col) = (index / 10, index % 10);
        let x = MARGIN + col as f32 * CELL_WIDTH;
        let top = GRID_TOP - row as f32 * CELL_HEIGHT;
        content
            .rect(x, top - CELL_HEIGHT, CELL_WIDTH, CELL_HEIGHT)
            .stroke();
        let baseline = top - CELL_HEIGHT / 2.0 - 4.0;
        content.set_fill_gray(0.35);
        text_at(
            content,
            REGULAR,
            8.0,
            x + 4.0,
            baseline,
            &format!("{index:02}"),
        );
        content.set_fill_gray(0.0);
        text_at(content, BOLD, 13.0, x + 17.0, baseline, code);
    }
}

/// One line of text; anything outside printable ASCII (the fonts' standard encoding
/// has no other letters) becomes `?`.
fn text_at(content: &mut Content, font: Name, size: f32, x: f32, y: f32, text: &str) {
    let ascii: Vec<u8> = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c as u8
            } else {
                b'?'
            }
        })
        .collect();
    content
        .begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&ascii))
        .end_text();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> PrintableCard {
        PrintableCard {
            device_id: "OSC-1A2B3C4D".into(),
            grid: (0..100)
                .map(|i| format!("{:03}", (i * 7 + 100) % 1000))
                .collect(),
            username: "jonas".into(),
            full_name: "Jonas Ek\u{f6}".into(),
            account: "U7099001".into(),
        }
    }

    #[test]
    fn t3_the_pdf_holds_every_index_with_its_code_the_device_and_the_user() {
        let bytes = pdf(&card());
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"), "a PDF");
        assert!(text.contains("/BaseFont /Helvetica"), "a base-14 font");
        assert!(!text.contains("FontFile"), "no font embedded");
        for (i, code) in card().grid.iter().enumerate() {
            assert!(text.contains(&format!("({i:02})")), "index {i:02}");
            assert!(text.contains(&format!("({code})")), "code {code}");
        }
        assert!(text.contains("(Device: OSC-1A2B3C4D)"));
        assert!(
            text.contains("(User: jonas (Jonas Ek?), account U7099001)"),
            "the user, a letter the font's encoding lacks as ?"
        );
    }

    #[test]
    fn t3_a_file_is_named_after_its_device_and_stays_in_its_folder() {
        assert_eq!(
            file_name("OSC-1A2B3C4D", "pdf"),
            "online-security-code-card-OSC-1A2B3C4D.pdf"
        );
        assert_eq!(
            file_name("../../etc/x", "png"),
            "online-security-code-card-etcx.png"
        );
    }

    #[test]
    fn t3_only_a_png_is_saved_as_the_picture() {
        let png_bytes = [PNG_SIGNATURE, b"rest"].concat();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&png_bytes);
        assert_eq!(png(&encoded).expect("a PNG"), png_bytes);
        let data_url = format!("data:image/png;base64,{encoded}");
        assert_eq!(png(&data_url).expect("a data URL"), png_bytes);
        let gif = base64::engine::general_purpose::STANDARD.encode(b"GIF89a....");
        assert_eq!(png(&gif).unwrap_err().code, "invalid_card_image");
        assert_eq!(png("not base64!").unwrap_err().code, "invalid_card_image");
        let huge = "A".repeat(PNG_MAX_BYTES * 2);
        assert_eq!(png(&huge).unwrap_err().code, "invalid_card_image");
    }
}
