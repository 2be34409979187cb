package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import dev.bastion.core.BastionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.util.List;

/**
 * The data keys of artifacts, each wrapped by the artifact key-encryption key (KEK).
 *
 * <p>Two forms, both with a fresh data key per artifact. Small artifacts use Tink's envelope AEAD
 * ({@link #envelope()}): AES-256-GCM, the wrapped data key in front of the ciphertext. Large ones
 * use streaming AEAD ({@link #newStreamingKey()}): AES-256-GCM-HKDF in 1 MiB segments, each
 * segment authenticated, so a blob of any size is encrypted and decrypted in bounded memory; its
 * data key is a one-key Tink keyset, kept apart from the blob and wrapped by the KEK with
 * associated data that names the artifact.
 */
public final class ArtifactKeys {
  static {
    try {
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * The KEK file changed (another process rotated it) and cannot be read again: nothing is
   * wrapped or unwrapped, and the fault is the key file's, not an artifact's.
   */
  public static final class KekUnreadableException extends GeneralSecurityException {
    private static final long serialVersionUID = 1L;

    KekUnreadableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Reads the KEK from its file again. */
  interface Source {
    Aead read() throws GeneralSecurityException, IOException, BastionException;
  }

  /** The KEK as read, and what its file looked like then. */
  private record State(Aead kek, Aead envelope, Object stamp) {}

  private final Path file;
  private final Source source;
  private volatile State state;

  /**
   * Keys under {@code kek}, read from {@code file}; when another process rotates the KEK (the file
   * changes), it is read again through {@code source} before the next wrap or unwrap, so that a
   * long-running process (a gateway) reads what was written after the rotation and wraps new keys
   * under the new primary, and can no longer unwrap what a retirement destroyed.
   */
  ArtifactKeys(Aead kek, Path file, Source source) throws GeneralSecurityException {
    this.file = file;
    this.source = source;
    this.state = new State(kek, envelope(kek), stamp(file));
  }

  private static Aead envelope(Aead kek) throws GeneralSecurityException {
    return KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, kek);
  }

  private static Object stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(a.lastModifiedTime(), a.size(),
          a.fileKey() == null ? "" : a.fileKey());
    } catch (IOException e) {
      return List.of(); // gone or unreadable: differs from any file's, so a read is tried
    }
  }

  /** The KEK now, read again if its file changed since it was last read. */
  private State current() throws GeneralSecurityException {
    State s = state;
    Object now = stamp(file);
    if (now.equals(s.stamp())) {
      return s;
    }
    synchronized (this) {
      s = state;
      if (now.equals(s.stamp())) {
        return s;
      }
      Aead kek;
      try {
        kek = source.read();
      } catch (IOException | BastionException e) {
        // Fail closed: nothing is wrapped or unwrapped under a key that may have been retired.
        throw new KekUnreadableException(
            file + " changed and cannot be read again: " + e.getMessage(), e);
      }
      s = new State(kek, envelope(kek), now);
      state = s;
      return s;
    }
  }

  /**
   * Envelope encryption for small artifacts: each call to {@code encrypt} draws a fresh AES-256-GCM
   * data key and stores it wrapped by the KEK in front of the ciphertext.
   */
  public Aead envelope() {
    return new Aead() {
      @Override
      public byte[] encrypt(byte[] plaintext, byte[] ad) throws GeneralSecurityException {
        return current().envelope().encrypt(plaintext, ad);
      }

      @Override
      public byte[] decrypt(byte[] ciphertext, byte[] ad) throws GeneralSecurityException {
        return current().envelope().decrypt(ciphertext, ad);
      }
    };
  }

  /** A fresh streaming data key, not yet wrapped: wrap it once the artifact's name is known. */
  public StreamingKey newStreamingKey() {
    try {
      return new StreamingKey(
          KeysetHandle.generateNew(
              PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB, RegistryConfiguration.get()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a streaming AEAD key can always be generated", e);
    }
  }

  /**
   * The streaming data key that {@link StreamingKey#wrap} wrapped under {@code ad}.
   *
   * @throws GeneralSecurityException if it was changed, wrapped for another artifact, or wrapped
   *     by a KEK this keyset no longer holds
   */
  public StreamingAead unwrapStreamingKey(byte[] wrapped, byte[] ad)
      throws GeneralSecurityException {
    return unwrap(wrapped, current().kek(), ad)
        .getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
  }

  /**
   * Checks that the data key at the front of an envelope blob ({@link #envelope()}'s format: a
   * 4-byte big-endian length, then the wrapped key) unwraps under the KEK, without decrypting the
   * content: for a rotation, which must not start on a store it cannot finish.
   *
   * @param head the blob's first bytes, at least the length and the wrapped key
   * @throws GeneralSecurityException if it is not an envelope or its key does not unwrap
   */
  public void checkEnvelopeKey(byte[] head) throws GeneralSecurityException {
    if (head.length < 4) {
      throw new GeneralSecurityException("not an envelope");
    }
    int n = java.nio.ByteBuffer.wrap(head, 0, 4).getInt();
    if (n <= 0 || n > head.length - 4) {
      throw new GeneralSecurityException("not an envelope");
    }
    byte[] dek = current().kek().decrypt(java.util.Arrays.copyOfRange(head, 4, 4 + n), NO_AD);
    java.util.Arrays.fill(dek, (byte) 0);
  }

  private static final byte[] NO_AD = new byte[0];

  static KeysetHandle unwrap(byte[] wrapped, Aead kek, byte[] ad)
      throws GeneralSecurityException {
    KeysetHandle h = TinkProtoKeysetFormat.parseEncryptedKeyset(
        wrapped, kek, ad, RegistryConfiguration.get());
    if (h.size() != 1
        || !h.getPrimary().getKey().getParameters()
            .equals(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB)) {
      throw new GeneralSecurityException("not an artifact data key");
    }
    return h;
  }

  /** One artifact's streaming data key. */
  public final class StreamingKey {
    private final KeysetHandle keyset;

    private StreamingKey(KeysetHandle keyset) {
      this.keyset = keyset;
    }

    /** The primitive that encrypts the artifact's content. */
    public StreamingAead aead() {
      try {
        return keyset.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("a generated streaming key has a primitive", e);
      }
    }

    /** This key wrapped by the current KEK, bound to {@code ad}. */
    public byte[] wrap(byte[] ad) throws GeneralSecurityException {
      return TinkProtoKeysetFormat.serializeEncryptedKeyset(
          keyset, current().kek(), ad, RegistryConfiguration.get());
    }
  }
}
