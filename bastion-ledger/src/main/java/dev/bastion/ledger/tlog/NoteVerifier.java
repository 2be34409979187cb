package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Verifies C2SP signed notes (c2sp.org/signed-note) against one Ed25519 key, given as a verifier
 * key {@code <name>+<hex key ID>+<base64(type || public key)>}: a note key (signature type {@code
 * 0x01}) or a witness cosigner key (type {@code 0x04}, c2sp.org/tlog-cosignature cosignature/v1).
 *
 * <p>Security guarantees: {@link #verify} returns the note text only when the note is well formed
 * and carries a valid Ed25519 signature over exactly that text by this key (same name, same key ID,
 * same public key). Signatures by other keys are ignored, as the specification requires, even when
 * they share the name or the key ID (but not both) with this key; a signature that has both and
 * does not verify rejects the whole note.
 *
 * <p>Domain separation: a note key never accepts a text starting with {@code "cosignature/v1\n"},
 * the start of every message a cosigner signs, so one Ed25519 key can serve both roles ({@link
 * NoteSigner} refuses to sign such texts).
 *
 * <p>Limits: a note has at most {@value #MAX_NOTE_BYTES} bytes and {@value #MAX_SIGNATURES}
 * signature lines. Beyond the specification, two signature lines with the same key name and key ID
 * are refused as ambiguous (Go's {@code note.Open} skips the repeats).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class NoteVerifier {
  /** The largest signed note, in bytes, that {@link #verify} reads. */
  public static final int MAX_NOTE_BYTES = 1 << 20;

  /** The most signature lines a note may carry (Go's {@code sumdb/note} limit). */
  public static final int MAX_SIGNATURES = 100;

  /** Signature type byte of Ed25519 note signatures. */
  static final byte TYPE_ED25519 = 0x01;

  /** Signature type byte of timestamped Ed25519 witness cosignatures (cosignature/v1). */
  static final byte TYPE_COSIGNATURE_V1 = 0x04;

  /** First line of every message an Ed25519 cosignature/v1 signs. */
  static final String COSIGNATURE_V1_HEADER = "cosignature/v1\n";

  private static final byte[] COSIGNATURE_V1_HEADER_BYTES = COSIGNATURE_V1_HEADER.getBytes(UTF_8);

  /** Length of an Ed25519 public key and of a seed. */
  static final int ED25519_KEY_BYTES = 32;

  /** Length of an Ed25519 signature. */
  static final int ED25519_SIGNATURE_BYTES = 64;

  /** Em dash (U+2014) and a space: the start of every signature line. */
  private static final byte[] SIGNATURE_PREFIX = "\u2014 ".getBytes(UTF_8);

  /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410), before the 32 bytes. */
  private static final byte[] X509_ED25519_PREFIX =
      HexFormat.of().parseHex("302a300506032b6570032100");

  private static final int MAX_VERIFIER_KEY_CHARS = 4096;
  private static final int MAX_QUOTED_CHARS = 64;

  private final String name;
  private final byte type;
  private final int keyId;
  private final byte[] rawPublicKey;

  private NoteVerifier(String name, byte type, byte[] rawPublicKey)
      throws GeneralSecurityException {
    this.name = name;
    this.type = type;
    this.keyId = keyId(name, type, rawPublicKey);
    ed25519PublicKey(rawPublicKey); // refuses what the JDK does not take as an Ed25519 key
    this.rawPublicKey = rawPublicKey.clone();
  }

  /**
   * Parses a verifier key {@code <name>+<8 lowercase hex digits>+<base64(type || 32-byte key)>},
   * where the type is {@code 0x01} (Ed25519 note signatures) or {@code 0x04} (Ed25519
   * cosignature/v1).
   *
   * @throws BadInputException if the name is empty or holds a space or {@code +}, the key ID is not
   *     8 lowercase hex digits, the key is not standard padded base64, the signature type is
   *     neither {@code 0x01} nor {@code 0x04}, the public key is not 32 bytes, or the key ID is not
   *     the one computed from the name, type and key
   */
  public static NoteVerifier parse(String verifierKey) throws BadInputException {
    Objects.requireNonNull(verifierKey, "verifierKey");
    if (verifierKey.length() > MAX_VERIFIER_KEY_CHARS) {
      throw new BadInputException(
          "verifier key: longer than " + MAX_VERIFIER_KEY_CHARS + " characters");
    }
    int plus1 = verifierKey.indexOf('+');
    int plus2 = plus1 < 0 ? -1 : verifierKey.indexOf('+', plus1 + 1);
    if (plus2 < 0) {
      throw new BadInputException("verifier key: not of the form <name>+<key ID>+<key>");
    }
    String name = verifierKey.substring(0, plus1);
    String hex = verifierKey.substring(plus1 + 1, plus2);
    String key64 = verifierKey.substring(plus2 + 1);
    String problem = nameProblem(name);
    if (problem != null) {
      throw new BadInputException("verifier key: key name " + problem);
    }
    if (hex.length() != 8 || !hex.chars().allMatch(NoteVerifier::isLowerHex)) {
      throw new BadInputException(
          "verifier key " + name + ": key ID " + quote(hex) + " is not 8 lowercase hex digits");
    }
    byte[] key = decodeBase64(key64);
    if (key == null || key.length == 0) {
      throw new BadInputException("verifier key " + name + ": key is not standard padded base64");
    }
    byte type = key[0];
    if (type != TYPE_ED25519 && type != TYPE_COSIGNATURE_V1) {
      throw new BadInputException(
          String.format(
              "verifier key %s: signature type 0x%02x is not supported"
                  + " (only Ed25519, 0x01, and Ed25519 cosignature/v1, 0x04)",
              name, type & 0xff));
    }
    if (key.length != 1 + ED25519_KEY_BYTES) {
      throw new BadInputException(
          "verifier key "
              + name
              + ": Ed25519 public key has "
              + (key.length - 1)
              + " bytes, not "
              + ED25519_KEY_BYTES);
    }
    byte[] raw = Arrays.copyOfRange(key, 1, key.length);
    int id = keyId(name, type, raw);
    int given = Integer.parseUnsignedInt(hex, 16);
    if (id != given) {
      throw new BadInputException(
          String.format(
              "verifier key %s: key ID %08x does not match the name and key (expected %08x)",
              name, given, id));
    }
    try {
      return new NoteVerifier(name, type, raw);
    } catch (GeneralSecurityException e) {
      throw new BadInputException("verifier key " + name + ": not an Ed25519 public key", e);
    }
  }

  /** A verifier for a key whose name and raw public key are already checked. */
  static NoteVerifier of(String name, byte type, byte[] rawPublicKey)
      throws GeneralSecurityException {
    return new NoteVerifier(name, type, rawPublicKey);
  }

  /**
   * The verifier key as {@link #parse} reads it: {@code <name>+<8 lowercase hex
   * digits>+<base64(type || public key)>}.
   */
  public String verifierKey() {
    byte[] key = new byte[1 + rawPublicKey.length];
    key[0] = type;
    System.arraycopy(rawPublicKey, 0, key, 1, rawPublicKey.length);
    return String.format("%s+%08x+%s", name, keyId, Base64.getEncoder().encodeToString(key));
  }

  /** The key name. */
  public String name() {
    return name;
  }

  /**
   * The key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || type || public key),
   * where the type is {@code 0x01}, or {@code 0x04} for a cosigner key.
   */
  public int keyId() {
    return keyId;
  }

  /**
   * Verifies a signed note and returns its text: the bytes before the last blank line, including
   * the text's final newline, which are the bytes that were signed.
   *
   * <p>The note must be valid UTF-8 without control characters other than newline, end with a
   * newline, and hold a blank line followed by 1 to {@value #MAX_SIGNATURES} lines {@code — <key
   * name> <base64(4-byte key ID || signature)>}, no two with the same name and key ID. For a
   * cosigner key the matching line must be a valid cosignature/v1 of the text (see {@link
   * #verifyCosignature}).
   *
   * @return a copy of the note text
   * @throws BadInputException if the note is malformed or larger than {@value #MAX_NOTE_BYTES}
   *     bytes
   * @throws VerificationException if the note carries no signature by this key, or a signature by
   *     this key that does not verify, or this is a note key and the text starts with {@code
   *     "cosignature/v1\n"}
   */
  public byte[] verify(byte[] note) throws VerificationException, BadInputException {
    Parsed parsed = parseNote(note);
    byte[] text = parsed.text();
    Line line = matchingLine(parsed);
    if (type == TYPE_ED25519 && startsWith(text, 0, text.length, COSIGNATURE_V1_HEADER_BYTES)) {
      // What a key signs as a cosigner is never accepted as a note it signed.
      throw new VerificationException(
          "signed note: the text starts with \"cosignature/v1\", the domain of cosignatures");
    }
    checkSignature(text, line);
    return text;
  }

  /**
   * Verifies a witness cosignature (c2sp.org/tlog-cosignature, cosignature/v1, signature type
   * {@code 0x04}) on a signed checkpoint and returns the time it states. The signed message is
   * {@code "cosignature/v1\ntime <timestamp>\n"} followed by the note text; the signature line
   * holds the key ID, the 8-byte big-endian timestamp and the Ed25519 signature.
   *
   * <p>The time is as the cosigner stated it; this method does not compare it with any clock.
   *
   * @return the cosignature's POSIX timestamp, in seconds
   * @throws IllegalStateException if this is not a cosigner key (type {@code 0x04})
   * @throws BadInputException if the note is malformed
   * @throws VerificationException if the note carries no valid cosignature by this key
   */
  public long verifyCosignature(byte[] note) throws VerificationException, BadInputException {
    if (type != TYPE_COSIGNATURE_V1) {
      throw new IllegalStateException(this + " is not a cosigner key (type 0x04)");
    }
    Parsed parsed = parseNote(note);
    Line line = matchingLine(parsed);
    checkSignature(parsed.text(), line);
    return ByteBuffer.wrap(line.signature(), 0, 8).getLong();
  }

  /** Whether this is a witness cosigner key (type {@code 0x04}) rather than a note key. */
  public boolean isCosigner() {
    return type == TYPE_COSIGNATURE_V1;
  }

  /** {@code <name>+<hex key ID>}, the way the key is named in messages. */
  @Override
  public String toString() {
    return String.format("%s+%08x", name, keyId);
  }

  private Line matchingLine(Parsed parsed) throws VerificationException {
    for (Line line : parsed.lines()) {
      if (line.name().equals(name) && line.keyId() == keyId) {
        return line; // parseNote refused a second line with the same name and key ID
      }
    }
    throw new VerificationException(String.format("signed note: no signature by %s", this));
  }

  private void checkSignature(byte[] text, Line line) throws VerificationException {
    byte[] sig = line.signature();
    int expected = (type == TYPE_COSIGNATURE_V1 ? 8 : 0) + ED25519_SIGNATURE_BYTES;
    if (sig.length != expected) {
      throw new VerificationException(
          String.format(
              "signed note: line %d: signature by %s has %d bytes, not %d",
              line.lineNo(), this, sig.length, expected));
    }
    byte[] message = text;
    byte[] ed25519 = sig;
    if (type == TYPE_COSIGNATURE_V1) {
      long time = ByteBuffer.wrap(sig, 0, 8).getLong();
      if (time < 0) {
        throw new VerificationException(
            String.format(
                "signed note: line %d: cosignature by %s has a timestamp above 2^63-1",
                line.lineNo(), this));
      }
      message = cosignedMessage(time, text);
      ed25519 = Arrays.copyOfRange(sig, 8, sig.length);
    }
    // RFC 8032 verification (Bouncy Castle's implementation: the JDK's is about eight times
    // slower, and the ledger checks one signature per commit).
    boolean ok;
    try {
      ok = Ed25519.verify(ed25519, 0, rawPublicKey, 0, message, 0, message.length);
    } catch (RuntimeException e) {
      throw new VerificationException(
          String.format("signed note: line %d: invalid signature by %s", line.lineNo(), this), e);
    }
    if (!ok) {
      throw new VerificationException(
          String.format("signed note: line %d: invalid signature by %s", line.lineNo(), this));
    }
  }

  /** The message an Ed25519 cosignature/v1 signs: header, time line, checkpoint body. */
  static byte[] cosignedMessage(long time, byte[] body) {
    byte[] header = (COSIGNATURE_V1_HEADER + "time " + time + "\n").getBytes(UTF_8);
    byte[] message = Arrays.copyOf(header, header.length + body.length);
    System.arraycopy(body, 0, message, header.length, body.length);
    return message;
  }

  /** A signed note split into its text and its parsed signature lines. */
  record Parsed(byte[] note, int textEnd, List<Line> lines) {
    /** A copy of the note text. */
    byte[] text() {
      return Arrays.copyOf(note, textEnd);
    }
  }

  /**
   * Parses a signed note strictly, without verifying any signature.
   *
   * @throws BadInputException if the note is malformed or too large
   */
  static Parsed parseNote(byte[] note) throws BadInputException {
    Objects.requireNonNull(note, "note");
    if (note.length > MAX_NOTE_BYTES) {
      throw new BadInputException(
          "signed note: " + note.length + " bytes, more than the limit of " + MAX_NOTE_BYTES);
    }
    checkCharacters(note, "signed note");
    if (note.length == 0 || note[note.length - 1] != '\n') {
      throw new BadInputException("signed note: does not end with a newline");
    }
    int blank = lastBlankLine(note);
    if (blank < 0) {
      throw new BadInputException("signed note: no blank line between the text and the signatures");
    }
    int start = blank + 2;
    if (start == note.length) {
      throw new BadInputException("signed note: no signature lines after the blank line");
    }
    int lineNo = lineOf(note, start);
    List<Line> lines = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    while (start < note.length) {
      int end = indexOf(note, (byte) '\n', start);
      if (lines.size() == MAX_SIGNATURES) {
        throw new BadInputException("signed note: more than " + MAX_SIGNATURES + " signatures");
      }
      Line line = parseLine(note, start, end, lineNo);
      if (!seen.add(line.name() + "+" + line.keyId())) {
        throw new BadInputException(
            String.format(
                "signed note: line %d: a second signature by %s+%08x",
                lineNo, line.name(), line.keyId()));
      }
      lines.add(line);
      start = end + 1;
      lineNo++;
    }
    return new Parsed(note, blank + 1, List.copyOf(lines));
  }

  /** One parsed signature line: name, key ID and the signature bytes after the key ID. */
  record Line(int lineNo, String name, int keyId, byte[] signature) {}

  /**
   * The parsed note with its signature line by {@code name} and {@code keyId} left out, the others
   * as they were; the note itself if it has no such line.
   */
  static byte[] without(Parsed parsed, String name, int keyId) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(parsed.note().length);
    b.write(parsed.note(), 0, parsed.textEnd());
    b.write('\n');
    for (Line line : parsed.lines()) {
      if (line.name().equals(name) && line.keyId() == keyId) {
        continue;
      }
      byte[] sig = ByteBuffer.allocate(4 + line.signature().length).putInt(line.keyId())
          .put(line.signature()).array();
      b.writeBytes(SIGNATURE_PREFIX);
      b.writeBytes((line.name() + " " + Base64.getEncoder().encodeToString(sig) + "\n")
          .getBytes(UTF_8));
    }
    return b.toByteArray();
  }

  private static Line parseLine(byte[] note, int start, int end, int lineNo)
      throws BadInputException {
    if (!startsWith(note, start, end, SIGNATURE_PREFIX)) {
      throw new BadInputException(
          "signed note: line "
              + lineNo
              + ": not a signature line (em dash, space, name, space, signature)");
    }
    String rest =
        new String(
            note, start + SIGNATURE_PREFIX.length, end - start - SIGNATURE_PREFIX.length, UTF_8);
    int space = rest.indexOf(' ');
    if (space < 0) {
      throw new BadInputException(
          "signed note: line " + lineNo + ": no space between the key name and the signature");
    }
    String name = rest.substring(0, space);
    String problem = nameProblem(name);
    if (problem != null) {
      throw new BadInputException("signed note: line " + lineNo + ": key name " + problem);
    }
    byte[] sig = decodeBase64(rest.substring(space + 1));
    if (sig == null) {
      throw new BadInputException(
          "signed note: line " + lineNo + ": signature is not standard padded base64");
    }
    if (sig.length < 5) {
      throw new BadInputException(
          "signed note: line "
              + lineNo
              + ": signature has "
              + sig.length
              + " bytes, fewer than a key ID and a signature");
    }
    int id = ByteBuffer.wrap(sig, 0, 4).getInt();
    return new Line(lineNo, name, id, Arrays.copyOfRange(sig, 4, sig.length));
  }

  // ---- shared by the package ----

  /**
   * Key ID as c2sp.org/signed-note recommends: the first 4 bytes, big-endian, of SHA-256(name ||
   * 0x0A || type || public key).
   */
  static int keyId(String name, byte type, byte[] publicKey) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
    md.update(name.getBytes(UTF_8));
    md.update((byte) '\n');
    md.update(type);
    md.update(publicKey);
    return ByteBuffer.wrap(md.digest()).getInt();
  }

  /** The JDK public key for 32 raw Ed25519 public key bytes. */
  static PublicKey ed25519PublicKey(byte[] raw) throws GeneralSecurityException {
    byte[] spki = new byte[X509_ED25519_PREFIX.length + ED25519_KEY_BYTES];
    System.arraycopy(X509_ED25519_PREFIX, 0, spki, 0, X509_ED25519_PREFIX.length);
    System.arraycopy(raw, 0, spki, X509_ED25519_PREFIX.length, ED25519_KEY_BYTES);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
  }

  /** The 32 raw bytes of an Ed25519 public key, from its X.509 SubjectPublicKeyInfo encoding. */
  static byte[] rawEd25519PublicKey(PublicKey key) throws GeneralSecurityException {
    byte[] spki = key.getEncoded();
    if (spki == null
        || spki.length != X509_ED25519_PREFIX.length + ED25519_KEY_BYTES
        || !Arrays.equals(
            spki,
            0,
            X509_ED25519_PREFIX.length,
            X509_ED25519_PREFIX,
            0,
            X509_ED25519_PREFIX.length)) {
      throw new GeneralSecurityException("not an Ed25519 public key");
    }
    return Arrays.copyOfRange(spki, X509_ED25519_PREFIX.length, spki.length);
  }

  /**
   * Why {@code name} is not a valid key name (empty, a Unicode space, a {@code +}, a control
   * character, an unpaired surrogate), or {@code null} if it is one.
   */
  static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    for (int i = 0; i < name.length(); ) {
      int cp = name.codePointAt(i);
      if (cp == '+') {
        return quote(name) + " contains a plus sign";
      }
      if (cp < 0x20) {
        return quote(name) + " contains a control character";
      }
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85) {
        return quote(name) + " contains a space";
      }
      if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
        return "contains an unpaired surrogate";
      }
      i += Character.charCount(cp);
    }
    return null;
  }

  /**
   * Checks what c2sp.org/signed-note requires of every byte of a note: valid UTF-8 (no overlong
   * forms, no surrogates) and no ASCII control characters other than newline.
   */
  static void checkCharacters(byte[] b, String what) throws BadInputException {
    for (int i = 0; i < b.length; i++) {
      if (b[i] >= 0 && b[i] < 0x20 && b[i] != '\n') {
        throw new BadInputException(
            String.format(
                "%s: line %d: control character 0x%02x (only newline is allowed)",
                what, lineOf(b, i), b[i]));
      }
    }
    CharsetDecoder d =
        UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    CoderResult r = d.decode(in, CharBuffer.allocate(b.length), true);
    if (!r.isError()) {
      r = d.flush(CharBuffer.allocate(0));
    }
    if (r.isError()) {
      throw new BadInputException(
          what + ": line " + lineOf(b, in.position()) + ": not valid UTF-8");
    }
  }

  /**
   * Checks a note text before it is signed: non-empty, ending with a newline, valid UTF-8 without
   * control characters other than newline.
   */
  static void checkNoteText(byte[] text) throws BadInputException {
    if (text.length == 0) {
      throw new BadInputException("note text: empty");
    }
    if (text[text.length - 1] != '\n') {
      throw new BadInputException("note text: does not end with a newline");
    }
    checkCharacters(text, "note text");
  }

  /** Standard padded base64 (RFC 4648 section 4) in its one canonical form, or null. */
  static byte[] decodeBase64(String s) {
    byte[] b;
    try {
      b = Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return Base64.getEncoder().encodeToString(b).equals(s) ? b : null;
  }

  /**
   * A value for a one-line message: quoted, cut to a few dozen characters, with control characters,
   * line and paragraph separators and unpaired surrogates written as {@code \\uXXXX}.
   */
  static String quote(String s) {
    int end = Math.min(s.length(), MAX_QUOTED_CHARS);
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      boolean paired =
          (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(s.charAt(i + 1)))
              || (Character.isLowSurrogate(c)
                  && i > 0
                  && Character.isHighSurrogate(s.charAt(i - 1)));
      if (Character.isISOControl(c)
          || c == '\u2028'
          || c == '\u2029'
          || (Character.isSurrogate(c) && !paired)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append(end < s.length() ? "...\"" : "\"").toString();
  }

  /** The 1-based line of byte offset {@code at}. */
  static int lineOf(byte[] b, int at) {
    int line = 1;
    for (int i = 0; i < at && i < b.length; i++) {
      if (b[i] == '\n') {
        line++;
      }
    }
    return line;
  }

  /** Offset of the first newline of the last blank line ({@code "\n\n"}), or -1. */
  private static int lastBlankLine(byte[] b) {
    for (int i = b.length - 2; i >= 0; i--) {
      if (b[i] == '\n' && b[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static boolean isLowerHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  private static int indexOf(byte[] b, byte value, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, int start, int end, byte[] prefix) {
    return end - start >= prefix.length
        && Arrays.equals(b, start, start + prefix.length, prefix, 0, prefix.length);
  }
}
