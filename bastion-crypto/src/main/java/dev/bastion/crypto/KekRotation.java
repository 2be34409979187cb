package dev.bastion.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * A rotation of the artifact key-encryption key in progress: the keyset holds the old keys and a
 * new primary. {@link #rewrap} moves one artifact's data key to the new KEK without touching its
 * encrypted content; {@link Keyring#retire} then destroys the old keys, after which nothing wrapped
 * under them (a backup copy included) can be read again.
 *
 * <p>Small blobs are in Tink's envelope format: a 4-byte big-endian length, the wrapped data key,
 * then the content encrypted under that data key ({@link #rewrap}). Large blobs keep their
 * streaming data key in a file of its own ({@link #rewrapStreamingKey}).
 */
public final class KekRotation {
  private static final byte[] NO_AD = new byte[0];

  private final KeysetHandle keyset;
  private final Aead kek;

  KekRotation(KeysetHandle keyset, Aead kek) {
    this.keyset = keyset;
    this.kek = kek;
  }

  KeysetHandle keyset() {
    return keyset;
  }

  /** The Tink id of the new primary key, as 8 hex digits, for the ledger and the user. */
  public String newKeyId() {
    return String.format("%08x", keyset.getPrimary().getId());
  }

  /**
   * The same blob with its data key wrapped by the new KEK; the content bytes are unchanged.
   *
   * @throws GeneralSecurityException if the blob is not an envelope this keyset can unwrap
   */
  public byte[] rewrap(byte[] blob) throws GeneralSecurityException {
    if (blob.length < 4) {
      throw new GeneralSecurityException("not an envelope");
    }
    int n = ByteBuffer.wrap(blob, 0, 4).getInt();
    if (n <= 0 || n > blob.length - 4) {
      throw new GeneralSecurityException("not an envelope");
    }
    byte[] wrapped = new byte[n];
    System.arraycopy(blob, 4, wrapped, 0, n);
    byte[] dek = kek.decrypt(wrapped, NO_AD);
    byte[] rewrapped = kek.encrypt(dek, NO_AD);
    Arrays.fill(dek, (byte) 0);
    int rest = blob.length - 4 - n;
    return ByteBuffer.allocate(4 + rewrapped.length + rest)
        .putInt(rewrapped.length)
        .put(rewrapped)
        .put(blob, 4 + n, rest)
        .array();
  }

  /**
   * A streaming data key (see {@link ArtifactKeys}) wrapped by the new KEK, still bound to {@code
   * ad}; the blob it encrypts is untouched.
   *
   * @throws GeneralSecurityException if it is not a data key this keyset can unwrap under {@code ad}
   */
  public byte[] rewrapStreamingKey(byte[] wrapped, byte[] ad) throws GeneralSecurityException {
    return TinkProtoKeysetFormat.serializeEncryptedKeyset(
        ArtifactKeys.unwrap(wrapped, kek, ad), kek, ad, RegistryConfiguration.get());
  }
}
