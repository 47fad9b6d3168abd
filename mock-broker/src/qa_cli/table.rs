//! Aligned columns for people (`--json` is for scripts): a header and rows, each
//! column as wide as its widest cell; the last column is never padded. A table that
//! grows (`--follow`) keeps the widths it has shown and widens where it must.

/// Rows under a header.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    widths: Vec<usize>,
    header_shown: bool,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
            widths: headers.iter().map(|h| h.chars().count()).collect(),
            header_shown: false,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        for (width, cell) in self.widths.iter_mut().zip(&cells) {
            *width = (*width).max(cell.chars().count());
        }
        self.rows.push(cells);
    }

    /// The rows added since the last call, under the header the first time (or a
    /// note that there are none, then).
    pub fn take(&mut self, none: &str) -> String {
        let mut out = String::new();
        if !self.header_shown {
            if self.rows.is_empty() {
                return format!("{none}\n");
            }
            let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
            out.push_str(&self.line(&header));
            self.header_shown = true;
        }
        for row in std::mem::take(&mut self.rows) {
            out.push_str(&self.line(&row));
        }
        out
    }

    fn line(&self, cells: &[String]) -> String {
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == last {
                line.push_str(cell);
            } else {
                let pad = self.widths[i].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    }
}

/// `key  value` lines, the values aligned (one record).
pub fn record(fields: &[(&str, String)]) -> String {
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    fields
        .iter()
        .map(|(k, v)| format!("{k:width$}  {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_the_header_shows_once() {
        let mut t = Table::new(&["ID", "ROUTE", "CODE"]);
        t.row(vec!["1".into(), "/v1/login".into(), "ok".into()]);
        t.row(vec![
            "12".into(),
            "/v1/session".into(),
            "invalid_session".into(),
        ]);
        assert_eq!(
            t.take("none"),
            "ID  ROUTE        CODE\n1   /v1/login    ok\n12  /v1/session  invalid_session\n"
        );
        t.row(vec!["13".into(), "/v1/login".into(), "ok".into()]);
        assert_eq!(t.take("none"), "13  /v1/login    ok\n", "no second header");
        assert_eq!(Table::new(&["A"]).take("(none)"), "(none)\n");
    }

    #[test]
    fn a_record_aligns_its_values() {
        assert_eq!(
            record(&[("now", "x".into()), ("offset", "y".into())]),
            "now     x\noffset  y\n"
        );
    }
}
