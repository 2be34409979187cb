package dev.bastion.crypto;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Objects;

/**
 * Signs bytes with a component's private key (ECDSA P-256 with SHA-256, DER-encoded signature).
 * The private key never leaves this object; {@link #toString()} does not show it.
 */
public final class Signer {
  static final String ALGORITHM = "SHA256withECDSA";

  private final Identity identity;
  private final PrivateKey privateKey;

  Signer(Identity identity, PrivateKey privateKey) {
    this.identity = Objects.requireNonNull(identity);
    this.privateKey = Objects.requireNonNull(privateKey);
  }

  public Identity identity() {
    return identity;
  }

  /** The DER signature over {@code data}. */
  public byte[] sign(byte[] data) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(privateKey);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA P-256 signing is always available", e);
    }
  }

  /** The private key, for code that must hand it to TLS (the gateway's key manager). */
  PrivateKey privateKey() {
    return privateKey;
  }

  @Override
  public String toString() {
    return "Signer[" + identity.name() + "]";
  }
}
