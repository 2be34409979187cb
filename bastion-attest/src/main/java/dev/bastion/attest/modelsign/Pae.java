package dev.bastion.attest.modelsign;

import dev.bastion.attest.Envelope;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The byte strings DSSE signatures cover. */
final class Pae {
  private Pae() {}

  /** DSSE v1 pre-authentication encoding of the exact payload bytes. */
  static byte[] of(String payloadType, byte[] payload) {
    return Envelope.pae(payloadType, payload);
  }

  /**
   * The encoding the reference implementation's v0.2.0 signed by mistake: the text
   * {@code DSSEV1 <len> <type> <len> } followed by Python's {@code repr()} of the payload bytes
   * ({@code b'...'} with escapes), UTF-8 encoded. Accepted only for the v0.2 predicate, so that
   * bundles made then still verify; it still covers every payload byte.
   */
  static byte[] legacyV02(String payloadType, byte[] payload) {
    String head =
        "DSSEV1 " + payloadType.getBytes(StandardCharsets.UTF_8).length + " " + payloadType + " "
            + payload.length + " ";
    ByteArrayOutputStream out = new ByteArrayOutputStream(head.length() + payload.length * 2 + 3);
    out.writeBytes(head.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(pythonBytesRepr(payload));
    return out.toByteArray();
  }

  /** CPython's {@code repr(bytes)}: always ASCII. */
  static byte[] pythonBytesRepr(byte[] b) {
    boolean hasSingle = false;
    boolean hasDouble = false;
    for (byte x : b) {
      hasSingle |= x == '\'';
      hasDouble |= x == '"';
    }
    char quote = hasSingle && !hasDouble ? '"' : '\'';
    StringBuilder sb = new StringBuilder(b.length + 3).append('b').append(quote);
    for (byte x : b) {
      int c = x & 0xff;
      if (c == quote || c == '\\') {
        sb.append('\\').append((char) c);
      } else if (c == '\t') {
        sb.append("\\t");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '\r') {
        sb.append("\\r");
      } else if (c < 0x20 || c >= 0x7f) {
        sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append(quote).toString().getBytes(StandardCharsets.US_ASCII);
  }
}
