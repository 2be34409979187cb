package dev.bastion.ledger.tlog;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.bastion.core.BadInputException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Signs C2SP signed notes (c2sp.org/signed-note) with an Ed25519 key (signature type {@code 0x01})
 * under a key name, such as a log's origin, and cosigns checkpoints as a witness
 * (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1, type {@code 0x04}).
 *
 * <p>Every note {@link #sign} returns verifies with {@link #verifier()} and with any conforming
 * implementation (Go's {@code golang.org/x/mod/sumdb/note}) given {@link #verifierKey()}; every
 * cosignature {@link #cosign} adds verifies with {@link #cosignerVerifier()}.
 *
 * <p>The one key serves both roles under two key IDs. The roles stay apart because every cosigned
 * message starts with {@code "cosignature/v1\n"} and {@link #sign} refuses texts that start so. A
 * deployment that wants a witness with its own identity gives it its own key.
 *
 * <p>The private key stays inside this object (the JDK's key object and its 32-byte seed, which
 * signs); {@link #privateKeyPkcs8()} is the one way out, for storing the key. {@link #toString()} names the key and never shows it. Instances are
 * immutable and thread-safe.
 */
public final class NoteSigner {
  private static final byte[] COSIGNATURE_HEADER =
      NoteVerifier.COSIGNATURE_V1_HEADER.getBytes(UTF_8);

  private final String name;
  private final PrivateKey privateKey;
  private final byte[] seed;
  private final byte[] publicKey;
  private final NoteVerifier verifier;
  private final NoteVerifier cosignerVerifier;

  private NoteSigner(String name, KeyPair pair) throws GeneralSecurityException {
    this.name = name;
    this.privateKey = pair.getPrivate();
    this.seed = seed(privateKey);
    this.publicKey = NoteVerifier.rawEd25519PublicKey(pair.getPublic());
    this.verifier = NoteVerifier.of(name, NoteVerifier.TYPE_ED25519, publicKey);
    this.cosignerVerifier = NoteVerifier.of(name, NoteVerifier.TYPE_COSIGNATURE_V1, publicKey);
  }

  /**
   * A signer with a fresh Ed25519 key from the JDK.
   *
   * @param name the key name: non-empty, without Unicode spaces, {@code +} or control characters
   * @throws IllegalArgumentException if the name is not a valid key name
   */
  public static NoteSigner generate(String name) {
    checkName(name);
    try {
      return new NoteSigner(name, KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate Ed25519 keys", e);
    }
  }

  /**
   * A signer for a stored Ed25519 private key.
   *
   * @param name the key name: non-empty, without Unicode spaces, {@code +} or control characters
   * @param pkcs8 the key as PKCS#8 (RFC 8410), as {@link #privateKeyPkcs8()} returns it
   * @throws GeneralSecurityException if {@code pkcs8} is not an Ed25519 private key
   * @throws IllegalArgumentException if the name is not a valid key name
   */
  public static NoteSigner fromPrivateKey(String name, byte[] pkcs8)
      throws GeneralSecurityException {
    checkName(name);
    Objects.requireNonNull(pkcs8, "pkcs8");
    PrivateKey key =
        KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    byte[] seed = seed(key);
    try {
      // The JDK has no call that derives the public key from a private one; its key pair
      // generator derives both from 32 random bytes, so it is handed the stored seed as those.
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, new SeedRandom(seed));
      KeyPair pair;
      try {
        pair = g.generateKeyPair();
      } catch (IllegalStateException e) {
        throw new InvalidKeyException("could not derive the Ed25519 public key", e);
      }
      byte[] derived = seed(pair.getPrivate());
      boolean same = Arrays.equals(derived, seed);
      Arrays.fill(derived, (byte) 0);
      if (!same) {
        throw new InvalidKeyException("could not derive the Ed25519 public key");
      }
      return new NoteSigner(name, pair);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /**
   * The private key as PKCS#8 (RFC 8410 {@code OneAsymmetricKey} v1), for storing it. The caller
   * owns the copy and should protect it like the key it is.
   */
  public byte[] privateKeyPkcs8() {
    return privateKey.getEncoded();
  }

  /** The key name. */
  public String name() {
    return name;
  }

  /** The key ID: the first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key). */
  public int keyId() {
    return verifier.keyId();
  }

  /** The verifier key {@code <name>+<8 lowercase hex digits>+<base64(0x01 || public key)>}. */
  public String verifierKey() {
    return verifierKey(NoteVerifier.TYPE_ED25519, keyId());
  }

  /** The verifier for this signer's key; the same as {@code NoteVerifier.parse(verifierKey())}. */
  public NoteVerifier verifier() {
    return verifier;
  }

  /**
   * The key ID of this key as a witness cosigner: the first 4 bytes, big-endian, of SHA-256(name ||
   * 0x0A || 0x04 || public key).
   */
  public int cosignerKeyId() {
    return cosignerVerifier.keyId();
  }

  /**
   * The cosigner verifier key {@code <name>+<8 lowercase hex digits>+<base64(0x04 || public key)>},
   * as c2sp.org/tlog-cosignature encodes Ed25519 cosigner keys.
   */
  public String cosignerVerifierKey() {
    return verifierKey(NoteVerifier.TYPE_COSIGNATURE_V1, cosignerKeyId());
  }

  /** The verifier of this key's cosignatures; {@code NoteVerifier.parse(cosignerVerifierKey())}. */
  public NoteVerifier cosignerVerifier() {
    return cosignerVerifier;
  }

  /**
   * Signs a note text and returns the signed note: {@code text}, a blank line, and the signature
   * line {@code — <name> <base64(key ID || Ed25519 signature)>}.
   *
   * @param text the note text: non-empty, ending with a newline, valid UTF-8 without control
   *     characters other than newline, not starting with {@code "cosignature/v1\n"}; it may hold
   *     blank lines
   * @throws IllegalArgumentException if {@code text} is not a valid note text, or the signed note
   *     would be larger than {@link NoteVerifier#MAX_NOTE_BYTES}
   */
  public byte[] sign(byte[] text) {
    Objects.requireNonNull(text, "text");
    try {
      NoteVerifier.checkNoteText(text);
    } catch (BadInputException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (startsWith(text, COSIGNATURE_HEADER)) {
      throw new IllegalArgumentException(
          "note text: starts with \"cosignature/v1\", the domain of cosignatures");
    }
    byte[] sig = ed25519(text);
    byte[] line =
        signatureLine(ByteBuffer.allocate(4 + sig.length).putInt(keyId()).put(sig).array());
    return append(text, new byte[] {'\n'}, line);
  }

  /**
   * Cosigns a checkpoint as a witness: returns {@code note} with this key's Ed25519 cosignature/v1
   * line {@code — <name> base64(cosigner key ID || 8-byte timestamp || signature)} added after its
   * signature lines. The signature covers {@code "cosignature/v1\ntime <timestamp>\n"} followed by
   * the checkpoint body (c2sp.org/tlog-cosignature).
   *
   * <p>A cosignature states that, at {@code timestamp}, this is the largest tree the witness has
   * seen for the log and that it is consistent with every earlier one; the caller must have
   * verified the log's signature and a consistency proof before calling this.
   *
   * @param note a signed checkpoint (body, blank line, signature lines)
   * @param timestamp the time of cosigning, POSIX seconds, at least 0
   * @throws BadInputException if {@code note} is not a well-formed signed note whose text is a
   *     checkpoint, already carries a line with this cosigner's name and key ID, already has
   *     {@value NoteVerifier#MAX_SIGNATURES} signatures, or would grow beyond {@value
   *     NoteVerifier#MAX_NOTE_BYTES} bytes
   * @throws IllegalArgumentException if {@code timestamp} is negative
   */
  public byte[] cosign(byte[] note, long timestamp) throws BadInputException {
    if (timestamp < 0) {
      throw new IllegalArgumentException("cosignature timestamp " + timestamp + " is negative");
    }
    NoteVerifier.Parsed parsed = NoteVerifier.parseNote(note);
    byte[] body = parsed.text();
    Checkpoint.parse(body);
    for (NoteVerifier.Line line : parsed.lines()) {
      if (line.name().equals(name) && line.keyId() == cosignerKeyId()) {
        throw new BadInputException(
            String.format(
                "signed note: line %d: already cosigned by %s", line.lineNo(), cosignerVerifier));
      }
    }
    if (parsed.lines().size() >= NoteVerifier.MAX_SIGNATURES) {
      throw new BadInputException(
          "signed note: already has " + NoteVerifier.MAX_SIGNATURES + " signatures");
    }
    byte[] sig = ed25519(NoteVerifier.cosignedMessage(timestamp, body));
    byte[] line =
        signatureLine(
            ByteBuffer.allocate(4 + 8 + sig.length)
                .putInt(cosignerKeyId())
                .putLong(timestamp)
                .put(sig)
                .array());
    try {
      return append(note, line);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("signed note: " + e.getMessage(), e);
    }
  }

  /** {@code NoteSigner[<name>+<hex key ID>]}; never the key. */
  @Override
  public String toString() {
    return String.format("NoteSigner[%s+%08x]", name, keyId());
  }

  private String verifierKey(byte type, int id) {
    byte[] key = new byte[1 + publicKey.length];
    key[0] = type;
    System.arraycopy(publicKey, 0, key, 1, publicKey.length);
    return String.format("%s+%08x+%s", name, id, Base64.getEncoder().encodeToString(key));
  }

  /**
   * RFC 8032 Ed25519 (pure, deterministic: the same signature the JDK makes), computed with Bouncy
   * Castle's implementation, about fifteen times faster than the JDK's; the ledger signs one
   * checkpoint per commit.
   */
  private byte[] ed25519(byte[] message) {
    byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
    Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  /** The parts joined, if the result fits in {@link NoteVerifier#MAX_NOTE_BYTES}. */
  private static byte[] append(byte[]... parts) {
    long size = 0;
    for (byte[] p : parts) {
      size += p.length;
    }
    if (size > NoteVerifier.MAX_NOTE_BYTES) {
      throw new IllegalArgumentException(
          "the signed note would have "
              + size
              + " bytes, more than the limit of "
              + NoteVerifier.MAX_NOTE_BYTES);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length
        && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** {@code — <name> <base64(signature)>\n}. */
  private byte[] signatureLine(byte[] signature) {
    return ("\u2014 " + name + " " + Base64.getEncoder().encodeToString(signature) + "\n")
        .getBytes(UTF_8);
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    String problem = NoteVerifier.nameProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException("key name " + problem);
    }
  }

  /** The 32-byte seed of an Ed25519 private key. */
  private static byte[] seed(PrivateKey key) throws InvalidKeyException {
    if (key instanceof EdECPrivateKey ed) {
      byte[] seed = ed.getBytes().orElse(new byte[0]);
      if (seed.length == NoteVerifier.ED25519_KEY_BYTES) {
        return seed;
      }
    }
    throw new InvalidKeyException("not an Ed25519 private key");
  }

  /** Hands out one fixed 32-byte seed, once; used only to derive a key pair from a stored seed. */
  private static final class SeedRandom extends SecureRandom {
    private final byte[] seed;
    private boolean used;

    SeedRandom(byte[] seed) {
      this.seed = seed;
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
      if (used || bytes.length != seed.length) {
        throw new IllegalStateException("unexpected request for random bytes");
      }
      used = true;
      System.arraycopy(seed, 0, bytes, 0, seed.length);
    }
  }
}
