package dev.bastion.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.MalformedInputException;

/**
 * UTF-8 decoded strictly (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, no
 * sequence cut short) and lazily: every character before a malformed sequence is returned first,
 * and the {@link MalformedInputException} comes from the read that reaches the sequence itself.
 * The JDK's decoder, asked for one character, decodes the next as well and throws for it, so a
 * reader counting lines would name the line before the bad byte.
 *
 * <p>Not thread-safe.
 */
final class StrictUtf8Reader extends Reader {
  private final InputStream in;
  private final byte[] bytes = new byte[8192];
  private int pos;
  private int lim;
  private boolean eof;
  /** The low surrogate of a pair whose high half was returned, or -1. */
  private int pendingLow = -1;
  /** A malformed sequence found after characters that were returned first, or null. */
  private MalformedInputException pending;

  StrictUtf8Reader(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    if (pendingLow >= 0) {
      int c = pendingLow;
      pendingLow = -1;
      return c;
    }
    int cp = next();
    if (cp < 0x10000) {
      return cp;
    }
    pendingLow = Character.lowSurrogate(cp);
    return Character.highSurrogate(cp);
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, cbuf.length);
    if (len == 0) {
      return 0;
    }
    int n = 0;
    while (n < len) {
      if (pendingLow >= 0) {
        cbuf[off + n++] = (char) pendingLow;
        pendingLow = -1;
        continue;
      }
      int cp;
      try {
        cp = next();
      } catch (MalformedInputException e) {
        if (n == 0) {
          throw e;
        }
        pending = e; // thrown by the next read, once these characters are handed out
        return n;
      }
      if (cp == -1) {
        return n == 0 ? -1 : n;
      }
      if (cp < 0x10000) {
        cbuf[off + n++] = (char) cp;
      } else {
        cbuf[off + n++] = Character.highSurrogate(cp);
        pendingLow = Character.lowSurrogate(cp);
      }
      if (n > 0 && pos == lim && !eof) {
        return n; // what is decoded is enough; do not block on more input
      }
    }
    return n;
  }

  /** The next code point, or -1 at the end of the input. */
  private int next() throws IOException {
    if (pending != null) {
      MalformedInputException e = pending;
      pending = null;
      throw e;
    }
    if (!available(1)) {
      return -1;
    }
    int b0 = bytes[pos] & 0xff;
    if (b0 < 0x80) {
      pos++;
      return b0;
    }
    int length;
    int min2;
    int max2;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      length = 2;
      min2 = 0x80;
      max2 = 0xbf;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      length = 3;
      min2 = b0 == 0xe0 ? 0xa0 : 0x80;
      max2 = b0 == 0xed ? 0x9f : 0xbf;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      length = 4;
      min2 = b0 == 0xf0 ? 0x90 : 0x80;
      max2 = b0 == 0xf4 ? 0x8f : 0xbf;
    } else {
      throw malformed(1);
    }
    available(length);
    int have = lim - pos;
    int cp = b0 & (0xff >> (length + 1));
    for (int k = 1; k < length; k++) {
      if (k >= have) {
        throw malformed(k); // cut short by the end of the input
      }
      int b = bytes[pos + k] & 0xff;
      if (k == 1 ? b < min2 || b > max2 : b < 0x80 || b > 0xbf) {
        throw malformed(k);
      }
      cp = (cp << 6) | (b & 0x3f);
    }
    pos += length;
    return cp;
  }

  /** The malformed sequence of {@code length} bytes at {@code pos}, which is skipped. */
  private MalformedInputException malformed(int length) {
    pos += length;
    return new MalformedInputException(length);
  }

  /** Whether {@code n} bytes are buffered, reading more (compacting) when fewer are. */
  private boolean available(int n) throws IOException {
    if (lim - pos >= n) {
      return true;
    }
    if (pos > 0) {
      System.arraycopy(bytes, pos, bytes, 0, lim - pos);
      lim -= pos;
      pos = 0;
    }
    while (lim - pos < n && !eof) {
      int r = in.read(bytes, lim, bytes.length - lim);
      if (r == -1) {
        eof = true;
      } else {
        lim += r;
      }
    }
    return lim - pos >= n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
