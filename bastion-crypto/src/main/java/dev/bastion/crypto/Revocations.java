package dev.bastion.crypto;

import dev.bastion.core.VerificationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;

/**
 * The deployment's certificate revocation list ({@code keys/ca.crl}, signed by the local CA),
 * re-read whenever the file changes, so a revocation takes effect without a restart.
 *
 * <p>Fails closed: a CRL that does not parse, is not signed by the CA, or is older (by CRL number)
 * than one already seen makes every check fail until a good one is back. Without the file, no
 * certificate is revoked (nothing has been yet); every revocation is also on the ledger.
 */
public final class Revocations {
  /** Largest CRL read. */
  static final long MAX_BYTES = 16L << 20;

  private final Path file;
  private final X509Certificate ca;

  /** What the file looked like when last read: its key (inode), time and size. */
  private record Seen(Object key, long modified, long size) {}

  /** The file's absence. */
  private static final Seen MISSING = new Seen(null, Long.MIN_VALUE, -1);

  /** A file that could not be looked at: the next look reads it again. */
  private static final Seen UNREADABLE = new Seen(null, Long.MIN_VALUE, -2);

  /** Before the first look, which is always a full one. */
  private static final Seen NOT_LOOKED = new Seen(null, Long.MIN_VALUE, -3);

  /**
   * What a check uses: the CRL read for {@code seen}, or the problem that refuses everyone.
   * Replaced whole, so a check reads one consistent state without a lock.
   */
  private record State(Seen seen, X509CRL crl, String problem, long lookedAt) {}

  /**
   * How long the cheap look at a missing file is trusted before a full one: {@code java.io.File}
   * cannot tell "absent" from "cannot be looked at" (a directory turned unsearchable, a link
   * loop), so whatever hides a list from it is seen by a full look within this time.
   */
  static final long FULL_LOOK_NANOS = 1_000_000_000L;

  private final LongSupplier nanoClock;
  private volatile State state = new State(NOT_LOOKED, null, null, 0);
  /** The highest CRL number seen; guarded by {@code this}. */
  private BigInteger highest = BigInteger.valueOf(-1);

  public Revocations(Path file, X509Certificate ca) {
    this(file, ca, System::nanoTime);
  }

  /** As {@link #Revocations(Path, X509Certificate)}, with the clock of the full looks. */
  Revocations(Path file, X509Certificate ca, LongSupplier nanoClock) {
    this.file = Objects.requireNonNull(file);
    this.ca = Objects.requireNonNull(ca);
    this.nanoClock = Objects.requireNonNull(nanoClock);
  }

  /** A certificate's revocation status. */
  public enum Status {
    /** Not on the current CRL. */
    GOOD,
    /** On it. */
    REVOKED,
    /** The CRL cannot be trusted (see {@link #problem()}): to be treated as revoked. */
    UNKNOWN
  }

  /**
   * The status of {@code cert} against the current CRL, re-read first if the file changed. The
   * file is looked at on every call (no lock unless it changed), so a revocation holds from the
   * next check on.
   */
  public Status status(X509Certificate cert) {
    State s = current();
    if (s.problem() != null) {
      return Status.UNKNOWN;
    }
    return s.crl() != null && s.crl().isRevoked(cert) ? Status.REVOKED : Status.GOOD;
  }

  /** Why the status is {@link Status#UNKNOWN}, or empty. */
  public String problem() {
    String p = current().problem();
    return p == null ? "" : p;
  }

  /**
   * Checks that {@code cert} is not revoked.
   *
   * @throws VerificationException if it is, or the CRL cannot be trusted
   */
  public void check(X509Certificate cert) throws VerificationException {
    State s = current();
    if (s.problem() != null) {
      throw new VerificationException(s.problem());
    }
    if (s.crl() != null && s.crl().isRevoked(cert)) {
      throw new VerificationException(
          "certificate of " + cert.getSubjectX500Principal().getName() + " is revoked");
    }
  }

  private State current() {
    Seen now;
    String unreadable = null;
    State s = state;
    // Most deployments have revoked nothing yet: once a full look found no file, its absence is
    // told without an exception. java.io.File cannot tell "absent" from "cannot look" (both say
    // false), so that shortcut holds only while the last full look said absent, and for at most
    // FULL_LOOK_NANOS after it; any other state looks in full, and an error other than absence
    // refuses everyone.
    java.io.File f = file.toFile();
    long t = nanoClock.getAsLong();
    if (s.seen() == MISSING && t - s.lookedAt() < FULL_LOOK_NANOS && f.lastModified() == 0L
        && !f.exists()) {
      return s;
    }
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      now = new Seen(a.fileKey(), a.lastModifiedTime().toMillis(), a.size());
    } catch (NoSuchFileException e) {
      now = MISSING;
    } catch (IOException e) {
      now = null;
      unreadable = file + ": cannot read the revocation list: " + e.getMessage();
    }
    if (now != null && now.equals(s.seen()) && now != MISSING) {
      return s;
    }
    synchronized (this) {
      s = state;
      if (now == null) {
        s = new State(UNREADABLE, s.crl(), unreadable, t);
      } else if (now.equals(s.seen())) {
        if (now != MISSING) {
          return s;
        }
        // Still absent: the cheap look may be trusted for another while.
        s = new State(MISSING, s.crl(), s.problem(), t);
      } else if (now == MISSING) {
        // Once there was a list, its removal is tampering, not a clean slate.
        s = s.crl() == null && s.problem() == null ? new State(MISSING, null, null, t)
            : new State(MISSING, s.crl(),
                file + ": the revocation list was removed; refusing every certificate", t);
      } else {
        s = read(now, s, t);
      }
      state = s;
      return s;
    }
  }

  /** Reads the changed file; called with the lock held. */
  private State read(Seen now, State before, long t) {
    try {
      X509CRL next = load(file, ca);
      BigInteger n = number(next);
      if (n.compareTo(highest) < 0) {
        return new State(now, before.crl(), file + ": revocation list number " + n
            + " is older than " + highest + " seen before; refusing every certificate", t);
      }
      highest = n;
      return new State(now, next, null, t);
    } catch (VerificationException e) {
      return new State(now, before.crl(), e.getMessage() + "; refusing every certificate", t);
    }
  }

  /**
   * Reads a CRL and checks that {@code ca} signed it.
   *
   * @throws VerificationException if it is unreadable, malformed or not signed by {@code ca}
   */
  public static X509CRL load(Path file, X509Certificate ca) throws VerificationException {
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new VerificationException(file + ": revocation list larger than " + MAX_BYTES);
      }
      X509CRL c = (X509CRL) CertificateFactory.getInstance("X.509")
          .generateCRL(new ByteArrayInputStream(Files.readAllBytes(file)));
      c.verify(ca.getPublicKey());
      if (!c.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
        throw new VerificationException(file + ": revocation list of another issuer");
      }
      return c;
    } catch (IOException | CRLException e) {
      throw new VerificationException(file + ": not a readable revocation list", e);
    } catch (GeneralSecurityException e) {
      throw new VerificationException(file + ": revocation list not signed by the CA", e);
    }
  }

  /** The CRL number extension, or -1 without one. */
  static BigInteger number(X509CRL c) throws VerificationException {
    byte[] ext = c.getExtensionValue(Extension.cRLNumber.getId());
    if (ext == null) {
      return BigInteger.valueOf(-1);
    }
    try {
      return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue();
    } catch (IllegalArgumentException e) {
      throw new VerificationException("malformed CRL number", e);
    }
  }
}
