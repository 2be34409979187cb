package dev.bastion.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 decoded strictly (the JDK's decoder, reporting malformed input) and lazily: every
 * character before a malformed sequence is returned first, and the {@link
 * MalformedInputException} comes from the read that reaches the sequence itself. An {@link
 * java.io.InputStreamReader} throws as soon as its decoder meets the sequence, which may be while
 * it decodes ahead for an earlier character, so a reader counting lines would name the line
 * before the bad byte.
 *
 * <p>Not thread-safe.
 */
final class StrictUtf8Reader extends Reader {
  private final InputStream in;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final ByteBuffer bytes = ByteBuffer.allocate(8192).flip();
  private final CharBuffer chars = CharBuffer.allocate(8192).flip();
  private boolean eof;
  private boolean flushed;
  /** The decoder's error after the characters still in {@link #chars}, or null. */
  private CoderResult error;

  StrictUtf8Reader(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    return chars.hasRemaining() || fill() ? chars.get() : -1;
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, cbuf.length);
    if (len == 0) {
      return 0;
    }
    if (!chars.hasRemaining() && !fill()) {
      return -1;
    }
    int n = Math.min(len, chars.remaining());
    chars.get(cbuf, off, n);
    return n;
  }

  /**
   * Decodes more characters; false at the end of the input. A malformed sequence is thrown once
   * the characters decoded before it have been handed out.
   */
  private boolean fill() throws IOException {
    while (true) {
      if (error != null) {
        CoderResult e = error;
        error = null;
        e.throwException();
      }
      if (flushed) {
        return false;
      }
      chars.clear();
      CoderResult r = decoder.decode(bytes, chars, eof);
      if (eof && r.isUnderflow()) {
        r = decoder.flush(chars);
        flushed = r.isUnderflow();
      }
      chars.flip();
      if (r.isError()) {
        error = r;
      }
      if (chars.hasRemaining()) {
        return true;
      }
      if (error == null && !flushed) {
        more();
      }
    }
  }

  /** Reads more bytes after those not yet decoded (the start of a sequence, at most). */
  private void more() throws IOException {
    bytes.compact();
    int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
    if (n < 0) {
      eof = true;
    } else {
      bytes.position(bytes.position() + n);
    }
    bytes.flip();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
