//! [`Lines`]: the lines of a [`BufReader`] as a
//! [`Stream`](crate::stream::Stream).

#![forbid(unsafe_code)]

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::io::{AsyncReadRent, BufReader};

/// A read of the next line in flight, owning the reader until it completes.
type NextLine<R> = Pin<Box<dyn Future<Output = (BufReader<R>, io::Result<Option<String>>)>>>;

/// The lines of a [`BufReader`], made by [`BufReader::lines`]: a
/// [`Stream`](crate::stream::Stream) of `io::Result<String>`, each line
/// without its `\n` or `\r\n`. A last line without a line ending is
/// yielded too; then the stream ends.
///
/// A line that is not UTF-8 is yielded as an
/// [`InvalidData`](io::ErrorKind::InvalidData) error and skipped; other
/// errors are yielded as they come and the stream goes on (polling again
/// retries the read).
///
/// The stream owns its reader and keeps a read in flight between polls, so
/// it needs `R: 'static`; over a borrowed reader, loop over
/// [`read_line`](BufReader::read_line) instead.
///
/// # Cancel safety
///
/// [`next_line`](Lines::next_line) and `StreamExt::next` are cancel safe:
/// the read in flight stays in the `Lines` and the next call resumes it,
/// so no byte is lost. Dropping the `Lines` drops the reader.
///
/// # Examples
///
/// ```
/// use aio::io::{AsyncWriteRentExt, BufReader};
/// use aio::net::UnixStream;
/// use aio::stream::StreamExt;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// b.write_all(&b"one\r\ntwo\nthree"[..]).await.0?;
/// drop(b);
/// let mut lines = BufReader::new(a).lines();
/// let mut got = Vec::new();
/// while let Some(line) = lines.next().await {
///     got.push(line?);
/// }
/// assert_eq!(got, ["one", "two", "three"]);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Lines<R> {
    state: State<R>,
}

/// Where the reader is: with the `Lines` between reads, or inside the read
/// in flight (which gives it back when it completes). `Empty` only while
/// `poll_next` moves it from one to the other.
enum State<R> {
    Idle(BufReader<R>),
    Reading(NextLine<R>),
    Empty,
}

/// The reader is never pinned: it is moved between `Idle` and the boxed
/// read, and the box is what is pinned.
impl<R> Unpin for Lines<R> {}

impl<R> Lines<R> {
    pub(crate) fn new(reader: BufReader<R>) -> Self {
        Lines {
            state: State::Idle(reader),
        }
    }
}

impl<R: AsyncReadRent + 'static> Lines<R> {
    /// The next line, `Ok(None)` at end of stream; the same as
    /// `StreamExt::next` with the `Option` and `Result` swapped, as tokio's.
    ///
    /// # Errors
    ///
    /// As [`BufReader::read_line`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (see [`Lines`]).
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }
}

/// Takes the line ending off `line`.
fn strip_line_ending(line: &mut String) {
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
}

impl<R: AsyncReadRent + 'static> Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut fut = match std::mem::replace(&mut self.state, State::Empty) {
            State::Reading(fut) => fut,
            State::Idle(mut reader) => {
                // A whole line already buffered is taken without a read (and
                // without boxing a future).
                if let Some(i) = reader.buffer().iter().position(|b| *b == b'\n') {
                    let res = std::str::from_utf8(&reader.buffer()[..i + 1])
                        .map(str::to_owned)
                        .map_err(|_| {
                            io::Error::new(
                                io::ErrorKind::InvalidData,
                                "lines: the line is not valid UTF-8",
                            )
                        });
                    reader.consume(i + 1);
                    self.state = State::Idle(reader);
                    return Poll::Ready(Some(res.map(|mut line| {
                        strip_line_ending(&mut line);
                        line
                    })));
                }
                Box::pin(async move {
                    let mut line = String::new();
                    let res = reader.read_line(&mut line).await;
                    (reader, res.map(|n| (n > 0).then_some(line)))
                })
            }
            State::Empty => unreachable!("Lines::poll_next: the reader is never left out"),
        };
        match fut.as_mut().poll(cx) {
            Poll::Pending => {
                self.state = State::Reading(fut);
                Poll::Pending
            }
            Poll::Ready((reader, res)) => {
                self.state = State::Idle(reader);
                Poll::Ready(match res {
                    Ok(Some(mut line)) => {
                        strip_line_ending(&mut line);
                        Some(Ok(line))
                    }
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                })
            }
        }
    }
}

impl<R: fmt::Debug> fmt::Debug for Lines<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lines");
        match &self.state {
            State::Idle(reader) => d.field("reader", reader),
            State::Reading(_) => d.field("reader", &"<reading>"),
            State::Empty => d.field("reader", &"<none>"),
        };
        d.finish()
    }
}
