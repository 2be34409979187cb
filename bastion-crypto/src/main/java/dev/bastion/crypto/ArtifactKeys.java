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
import java.security.GeneralSecurityException;

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

  private final Aead kek;
  private final Aead envelope;

  ArtifactKeys(Aead kek) throws GeneralSecurityException {
    this.kek = kek;
    this.envelope = KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, kek);
  }

  /**
   * Envelope encryption for small artifacts: each call to {@code encrypt} draws a fresh AES-256-GCM
   * data key and stores it wrapped by the KEK in front of the ciphertext.
   */
  public Aead envelope() {
    return envelope;
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
    return unwrap(wrapped, kek, ad).getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
  }

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
          keyset, kek, ad, RegistryConfiguration.get());
    }
  }
}
