//! Server-sent events as the broker sends them (`event: NAME`, `data: JSON`, a blank
//! line), read off an open response. Blocks without an event name (keep-alive
//! comments) are skipped.

/// One event: its name (`push`, `withdrawn`) and its data, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub name: String,
    pub data: String,
}

/// An open event stream.
pub struct EventStream {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

impl EventStream {
    pub fn new(resp: reqwest::Response) -> EventStream {
        EventStream {
            resp,
            buf: Vec::new(),
        }
    }

    /// The next event, or None once the stream has ended (or broken).
    ///
    /// Cancel-safe: what was read stays buffered, so it may run under a timeout.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            while let Some(block) = take_block(&mut self.buf) {
                if let Some(event) = parse_block(&block) {
                    return Some(event);
                }
            }
            match self.resp.chunk().await {
                Ok(Some(bytes)) => self.buf.extend_from_slice(&bytes),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

/// The first complete block (up to its blank line), taken off `buf`.
fn take_block(buf: &mut Vec<u8>) -> Option<String> {
    let end = buf.windows(2).position(|w| w == b"\n\n")?;
    let block: Vec<u8> = buf.drain(..end + 2).collect();
    Some(String::from_utf8_lossy(&block).into_owned())
}

fn parse_block(block: &str) -> Option<Event> {
    let mut name = None;
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
    Some(Event {
        name: name.filter(|n| !n.is_empty())?,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_split_at_blank_lines_and_comments_skipped() {
        let mut buf = b": keep-alive\n\nevent: push\ndata: {\"a\":1}\n\nevent: with".to_vec();
        let first = take_block(&mut buf).unwrap();
        assert_eq!(parse_block(&first), None, "a comment is no event");
        let second = take_block(&mut buf).unwrap();
        assert_eq!(
            parse_block(&second),
            Some(Event {
                name: "push".into(),
                data: "{\"a\":1}".into()
            })
        );
        assert_eq!(
            take_block(&mut buf),
            None,
            "half a block waits for the rest"
        );
        assert_eq!(buf, b"event: with");
    }

    #[test]
    fn a_character_split_across_chunks_survives() {
        let text = "event: push\ndata: {\"u\":\"Zoë\"}\n\n".as_bytes();
        let cut = text.iter().position(|&b| b == 0xc3).unwrap() + 1;
        let mut buf = text[..cut].to_vec();
        assert_eq!(take_block(&mut buf), None);
        buf.extend_from_slice(&text[cut..]);
        let event = parse_block(&take_block(&mut buf).unwrap()).unwrap();
        assert_eq!(event.data, "{\"u\":\"Zoë\"}");
    }
}
