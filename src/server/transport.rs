//! Framing: the base protocol's `Content-Length` headers and JSON bodies, read defensively.
//!
//! lsp-server's own reader allocates whatever `Content-Length` says and gives up on the first
//! body that is not a message; a language server must survive both. Here a header line is at
//! most [`MAX_HEADER_LINE`] bytes, a body at most [`MAX_MESSAGE`] (a larger one is read and
//! thrown away, never held), a line that is not a header is skipped (a `Content-Length` inside
//! it is still found, which resynchronises after a body of the wrong length), and a body that
//! is not a JSON-RPC message becomes [`Incoming::Invalid`], to be answered with an error.

use lsp_server::{ErrorCode, Message, RequestId};
use std::io::{self, BufRead, Read, Write};

/// The largest message body read: far above any real document (lockscan does not parse files
/// over [`crate::parse::MAX_FILE_SIZE`] anyway), far below what would hurt to allocate.
pub const MAX_MESSAGE: u64 = 64 << 20;

/// The longest header line kept; a longer one is skipped.
pub const MAX_HEADER_LINE: usize = 8 << 10;

#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A body that is not a message, or one too large to read: to be answered with an error
    /// (with the request's id when it could be read, `null` otherwise).
    Invalid {
        id: Option<RequestId>,
        code: ErrorCode,
        reason: String,
    },
}

/// Reads the next message. `None` at the end of the input (the client is gone), including an
/// input that ends inside a message.
pub fn read(r: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<Result<u64, String>> = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let complete = match read_line(r, &mut line)? {
            None => return Ok(None),
            Some(complete) => complete,
        };
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if complete && text.is_empty() {
            if saw_header {
                break;
            }
            // A blank line between messages: nothing to answer.
            continue;
        }
        saw_header = true;
        if !complete {
            continue;
        }
        if let Some(value) = content_length(text) {
            length = Some(
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("`Content-Length: {}` is not a length", value.trim())),
            );
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(reason)) => return Ok(Some(invalid(None, ErrorCode::ParseError, reason))),
        None => {
            return Ok(Some(invalid(
                None,
                ErrorCode::ParseError,
                "a message without a `Content-Length` header".into(),
            )));
        }
    };
    if length > MAX_MESSAGE {
        let skipped = io::copy(&mut r.by_ref().take(length), &mut io::sink())?;
        if skipped < length {
            return Ok(None);
        }
        return Ok(Some(invalid(
            None,
            ErrorCode::InvalidRequest,
            format!(
                "a message of {length} bytes is larger than the {} MiB lockscan reads",
                MAX_MESSAGE >> 20
            ),
        )));
    }
    let mut body = Vec::with_capacity(length as usize);
    r.by_ref().take(length).read_to_end(&mut body)?;
    if (body.len() as u64) < length {
        return Ok(None);
    }
    Ok(Some(decode(&body)))
}

/// Reads one line (up to `\n`) into `line`, keeping at most [`MAX_HEADER_LINE`] bytes of it;
/// `Some(false)` when it was longer (the rest is skipped), `None` at the end of the input.
fn read_line(r: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Option<bool>> {
    let n = r
        .by_ref()
        .take(MAX_HEADER_LINE as u64)
        .read_until(b'\n', line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.ends_with(b"\n") {
        return Ok(Some(true));
    }
    if n < MAX_HEADER_LINE {
        // The input ended inside the line.
        return Ok(None);
    }
    // Too long to be a header: skip to its end.
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                return Ok(Some(false));
            }
            None => {
                let len = buf.len();
                r.consume(len);
            }
        }
    }
}

/// The value of a `Content-Length` header in `line`. The header may follow other bytes on the
/// line (the tail of a body whose length was wrong), so it is looked for anywhere.
fn content_length(line: &str) -> Option<&str> {
    const NAME: &str = "content-length:";
    let lower = line.to_ascii_lowercase();
    let at = lower.rfind(NAME)?;
    Some(&line[at + NAME.len()..])
}

fn invalid(id: Option<RequestId>, code: ErrorCode, reason: String) -> Incoming {
    Incoming::Invalid { id, code, reason }
}

/// A body as a message; what is wrong with it otherwise.
fn decode(body: &[u8]) -> Incoming {
    if let Ok(msg) = serde_json::from_slice::<Message>(body) {
        return Incoming::Message(msg);
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Err(e) => invalid(
            None,
            ErrorCode::ParseError,
            format!("the message is not JSON: {e}"),
        ),
        Ok(value) => {
            let id = value
                .get("id")
                .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
            invalid(
                id,
                ErrorCode::InvalidRequest,
                "the message is not a JSON-RPC request, response or notification".into(),
            )
        }
    }
}

/// Writes one message, framed, and flushes it.
pub fn write(w: &mut impl Write, msg: Message) -> io::Result<()> {
    msg.write(w)
}

/// Writes an error response whose request could not be identified (`"id": null`, as JSON-RPC
/// asks), which lsp-server's types cannot express.
pub fn write_unidentified_error(
    w: &mut impl Write,
    code: ErrorCode,
    reason: &str,
) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code as i32, "message": reason },
    })
    .to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn all(input: &[u8]) -> Vec<Incoming> {
        let mut r = io::BufReader::new(input);
        let mut out = vec![];
        while let Some(m) = read(&mut r).unwrap() {
            out.push(m);
        }
        out
    }

    fn method(m: &Incoming) -> String {
        match m {
            Incoming::Message(Message::Request(r)) => r.method.clone(),
            Incoming::Message(Message::Notification(n)) => n.method.clone(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn reads_framed_messages_in_order() {
        let input = frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
            + "\r\n"
            + &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let got = all(input.as_bytes());
        assert_eq!(
            got.iter().map(method).collect::<Vec<_>>(),
            ["initialize", "exit"]
        );
    }

    #[test]
    fn headers_are_case_insensitive_and_others_ignored() {
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!(
            "content-length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(
            all(input.as_bytes()).iter().map(method).collect::<Vec<_>>(),
            ["exit"]
        );
    }

    #[test]
    fn malformed_bodies_are_reported_and_reading_goes_on() {
        let input = frame("{not json")
            + &frame(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#)
            + &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let got = all(input.as_bytes());
        assert!(matches!(
            &got[0],
            Incoming::Invalid {
                id: None,
                code: ErrorCode::ParseError,
                ..
            }
        ));
        assert!(matches!(
            &got[1],
            Incoming::Invalid { id: Some(id), code: ErrorCode::InvalidRequest, .. } if *id == RequestId::from(7)
        ));
        assert_eq!(method(&got[2]), "exit");
    }

    #[test]
    fn oversized_bodies_are_skipped_not_kept() {
        let big = MAX_MESSAGE as usize + 10;
        let mut input = format!("Content-Length: {big}\r\n\r\n").into_bytes();
        input.resize(input.len() + big, b' ');
        input.extend(frame(r#"{"jsonrpc":"2.0","method":"exit"}"#).bytes());
        let got = all(&input);
        assert!(
            matches!(&got[0], Incoming::Invalid { code: ErrorCode::InvalidRequest, reason, .. } if reason.contains("larger")),
            "{got:?}"
        );
        assert_eq!(method(&got[1]), "exit");
    }

    #[test]
    fn bad_headers_resynchronise() {
        // No length at all; a length that is not a number; a body one byte short, whose
        // tail runs into the next header; a header line far too long.
        let exit = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let mut input = String::from("Foo: bar\r\n\r\n");
        input += "Content-Length: lots\r\n\r\n";
        input += &format!("Content-Length: {}\r\n\r\n{exit}x", exit.len() - 1);
        input += &frame(exit);
        input += &"X".repeat(MAX_HEADER_LINE * 3);
        input += "\r\n";
        input += &frame(exit);
        let got = all(input.as_bytes());
        let exits = got.iter().filter(|m| method(m) == "exit").count();
        assert_eq!(exits, 2, "{got:?}");
        assert!(matches!(
            &got[0],
            Incoming::Invalid {
                code: ErrorCode::ParseError,
                ..
            }
        ));
        assert!(matches!(
            &got[1],
            Incoming::Invalid {
                code: ErrorCode::ParseError,
                ..
            }
        ));
    }

    #[test]
    fn input_ending_mid_message_is_the_end() {
        assert!(all(b"Content-Length: 50\r\n\r\n{\"jsonrpc\"").is_empty());
        assert!(all(b"Content-Len").is_empty());
        let huge = format!("Content-Length: {}\r\n\r\nabc", u64::MAX);
        assert!(all(huge.as_bytes()).is_empty());
    }

    #[test]
    fn unidentified_errors_have_a_null_id() {
        let mut out = vec![];
        write_unidentified_error(&mut out, ErrorCode::ParseError, "bad").unwrap();
        let text = String::from_utf8(out).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["error"]["code"], -32700);
    }
}
