//! The lean HTTP/1.1 client of the CPU-bound comparisons (`web-identity`, `ldap`), where the
//! tool shares the machine's cores with the server and every microsecond it spends is taken
//! from the server: requests are serialised once before the clock starts and written as they
//! are on a keep-alive connection, one request in flight per connection (no pipelining), and
//! an answer is read straight from the socket into one reused buffer, its head parsed with
//! `httparse` and its body delimited by `Content-Length`. No task besides the worker's own, no
//! per-request header map, no body frames.
//!
//! What it does not do, since the server under test never needs it for these answers: chunked
//! bodies, `1xx` answers, TLS. Each is refused with an error rather than misread.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{CONNECT_TIMEOUT, Endpoint, FORM_CONTENT_TYPE, Outcome};

/// Most headers an answer may carry.
const MAX_HEADERS: usize = 32;
/// Largest answer head accepted (status line and headers).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Largest answer body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// What is read from the socket at most per call.
const READ_CHUNK: usize = 8 * 1024;

/// An unsigned form POST to `/` (the STS calls that need no signature), serialised whole.
#[must_use]
pub fn form_post(endpoint: &Endpoint, form: &[u8]) -> Bytes {
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: {FORM_CONTENT_TYPE}\r\n\
         content-length: {}\r\n\r\n",
        endpoint.host(),
        form.len()
    );
    let mut request = Vec::with_capacity(head.len() + form.len());
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(form);
    request.into()
}

/// One keep-alive connection and the buffer its answers are read into.
pub struct RawConnection {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The server said `connection: close`: the next request needs a new connection.
    closing: bool,
}

impl RawConnection {
    pub async fn open(endpoint: &Endpoint) -> Result<Self> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(endpoint.addr()))
            .await
            .map_err(|_| anyhow!("connecting to {} timed out", endpoint.url()))?
            .with_context(|| format!("connecting to {}", endpoint.url()))?;
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            closing: false,
        })
    }

    /// Whether this connection can carry another request.
    #[must_use]
    pub fn reusable(&self) -> bool {
        !self.closing
    }

    /// Writes `request` (a whole serialised HTTP/1.1 request) and reads its answer, counting
    /// the body's bytes and keeping the first `keep` of them.
    pub async fn exchange(&mut self, request: &[u8], keep: usize) -> Result<(Outcome, Vec<u8>)> {
        if self.closing {
            bail!("the server closed this connection after its last answer");
        }
        self.stream
            .write_all(request)
            .await
            .context("sending request")?;
        self.buf.clear();
        let head = loop {
            self.fill().await?;
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                bail!("answer head longer than {MAX_HEAD_BYTES} bytes");
            }
        };
        let end = head.head_len + head.body_len;
        while self.buf.len() < end {
            self.fill().await?;
        }
        if self.buf.len() > end {
            bail!(
                "{} bytes after the answer's body: the server answered before being asked",
                self.buf.len() - end
            );
        }
        self.closing = head.close;
        let body = &self.buf[head.head_len..end];
        let kept = body[..keep.min(body.len())].to_vec();
        let status = http::StatusCode::from_u16(head.status)
            .map_err(|_| anyhow!("answer with status {}", head.status))?;
        Ok((
            Outcome {
                status,
                body_len: head.body_len as u64,
            },
            kept,
        ))
    }

    /// Reads whatever the socket has (at least one byte) onto the end of the buffer.
    async fn fill(&mut self) -> Result<()> {
        self.buf.reserve(READ_CHUNK);
        match self.stream.read_buf(&mut self.buf).await {
            Ok(0) => bail!("connection closed by the server in the middle of an answer"),
            Ok(_) => Ok(()),
            Err(e) => Err(e).context("reading the answer"),
        }
    }
}

/// What an answer's head says.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// Bytes of the status line and headers, blank line included.
    head_len: usize,
    body_len: usize,
    close: bool,
}

/// The head of the answer at the start of `buf`, or `None` while it is incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf).context("malformed answer head")? {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => return Ok(None),
    };
    let status = response.code.unwrap_or(0);
    if (100..200).contains(&status) {
        bail!("informational answer {status}: not supported by this client");
    }
    let mut body_len = None;
    let mut close = response.version == Some(0);
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| anyhow!("unreadable content-length in the answer"))?;
            body_len = Some(value);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("answer with transfer-encoding: not supported by this client");
        } else if h.name.eq_ignore_ascii_case("connection") {
            close = h.value.eq_ignore_ascii_case(b"close");
        }
    }
    let body_len = match body_len {
        Some(n) if n > MAX_BODY_BYTES => bail!("answer body of {n} bytes is over the limit"),
        Some(n) => n,
        // An error answer without a body (HEAD-like) is the only bodiless case expected.
        None if status == 204 || status == 304 => 0,
        None => bail!("answer {status} without content-length"),
    };
    Ok(Some(Head {
        status,
        head_len,
        body_len,
        close,
    }))
}

/// Runs `exchange` with a bound on its time.
pub async fn exchange_within(
    conn: &mut RawConnection,
    request: &[u8],
    keep: usize,
    timeout: Duration,
) -> Result<(Outcome, Vec<u8>)> {
    tokio::time::timeout(timeout, conn.exchange(request, keep))
        .await
        .map_err(|_| anyhow!("no answer within {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_posts_are_serialised_whole() {
        let request = form_post(&Endpoint::loopback(9000), b"Action=X&Version=1");
        assert_eq!(
            &request[..],
            b"POST / HTTP/1.1\r\nhost: 127.0.0.1:9000\r\n\
              content-type: application/x-www-form-urlencoded\r\n\
              content-length: 18\r\n\r\nAction=X&Version=1"
        );
    }

    #[test]
    fn heads_are_read_only_when_complete() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx: y\r\n\r\nhello";
        for cut in 0..answer.len() - 5 {
            assert_eq!(parse_head(&answer[..cut]).ok(), Some(None), "cut at {cut}");
        }
        let head = parse_head(answer).ok().flatten();
        assert_eq!(
            head,
            Some(Head {
                status: 200,
                head_len: answer.len() - 5,
                body_len: 5,
                close: false,
            })
        );
    }

    #[test]
    fn closing_and_unsupported_answers_are_told_apart() {
        let close =
            parse_head(b"HTTP/1.1 400 Bad\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assert!(matches!(close, Ok(Some(Head { close: true, .. }))));
        let old = parse_head(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert!(matches!(old, Ok(Some(Head { close: true, .. }))));
        for refused in [
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n",
            b"NOT HTTP\r\n\r\n",
        ] {
            assert!(
                parse_head(refused).is_err(),
                "{}",
                String::from_utf8_lossy(refused)
            );
        }
    }

    #[tokio::test]
    async fn an_exchange_reads_one_answer_and_keeps_its_prefix() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            let mut seen = Vec::new();
            for answer in [
                &b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello "[..],
                b"HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope",
            ] {
                let mut request = [0u8; 512];
                let n = socket
                    .read(&mut request)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                seen.push(request[..n].to_vec());
                socket
                    .write_all(answer)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                if answer.starts_with(b"HTTP/1.1 200") {
                    // The rest of the body arrives in a second segment.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    socket
                        .write_all(b"world")
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
            seen
        });
        let endpoint = Endpoint::loopback(port);
        let request = form_post(&endpoint, b"a=b");
        let mut conn = RawConnection::open(&endpoint)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let timeout = Duration::from_secs(5);
        let (out, kept) = exchange_within(&mut conn, &request, 3, timeout)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!((out.status.as_u16(), out.body_len), (200, 11));
        assert_eq!(kept, b"hel");
        assert!(conn.reusable());
        let (out, kept) = exchange_within(&mut conn, &request, 100, timeout)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!((out.status.as_u16(), kept.as_slice()), (403, &b"nope"[..]));
        assert!(!conn.reusable());
        assert!(conn.exchange(&request, 0).await.is_err());
        let seen = server.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen, vec![request.to_vec(), request.to_vec()]);
    }
}
