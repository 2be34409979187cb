package dev.bastion.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.VerificationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The revocation list as the gateway reads it: re-read on change, closed on anything odd. */
class RevocationsTest {
  @TempDir Path tmp;
  Keyring keyring;
  X509Certificate alice;
  X509Certificate bob;

  @BeforeEach
  void init() throws Exception {
    keyring = Keyring.initialise(tmp.resolve("keys"));
    alice = keyring.issueClient("alice", "predict").certificate();
    bob = keyring.issueClient("bob", "predict").certificate();
  }

  @Test
  void followsTheFileThroughItsLife() throws Exception {
    Revocations r = keyring.revocations();
    Path crl = keyring.crlFile();
    // no list yet: nobody is revoked
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.GOOD);
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.GOOD);

    keyring.revoke("alice");
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(bob)).isEqualTo(Revocations.Status.GOOD);
    assertThatThrownBy(() -> r.check(alice)).isInstanceOf(VerificationException.class)
        .hasMessageContaining("revoked");

    byte[] first = Files.readAllBytes(crl);
    Files.delete(crl);
    assertThat(r.status(bob)).as("a list removed after one was seen")
        .isEqualTo(Revocations.Status.UNKNOWN);
    assertThat(r.problem()).contains("removed");
    assertThatThrownBy(() -> r.check(bob)).hasMessageContaining("removed");

    Files.write(crl, first);
    assertThat(r.status(bob)).as("the same list put back").isEqualTo(Revocations.Status.GOOD);
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.REVOKED);

    keyring.revoke("bob");
    assertThat(r.status(bob)).isEqualTo(Revocations.Status.REVOKED);
    // an older list (alice only) put back would un-revoke bob: refused
    Files.write(crl, first);
    Files.setLastModifiedTime(crl,
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertThat(r.status(bob)).isEqualTo(Revocations.Status.UNKNOWN);
    assertThat(r.problem()).contains("older");

    Files.write(crl, "not a CRL".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(r.status(bob)).isEqualTo(Revocations.Status.UNKNOWN);
  }

  @Test
  void revokingANameRevokesEveryCertificateIssuedToIt() throws Exception {
    X509Certificate second = keyring.issueClient("alice", "predict").certificate();
    X509Certificate third = keyring.issueClient("alice", "predict").certificate();
    assertThat(keyring.issuedSerials("alice")).containsExactly(alice.getSerialNumber(),
        second.getSerialNumber(), third.getSerialNumber());
    Revocations r = keyring.revocations();
    keyring.revoke("alice");
    assertThat(r.status(alice)).as("the first certificate, copied out before the re-issue")
        .isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(second)).isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(third)).isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(bob)).isEqualTo(Revocations.Status.GOOD);
    // issued again after the revocation: the new certificate is good, the old ones stay revoked
    X509Certificate fourth = keyring.issueClient("alice", "predict").certificate();
    assertThat(r.status(fourth)).isEqualTo(Revocations.Status.GOOD);
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.REVOKED);
  }

  @Test
  void reissuingANameRevokesItsEarlierCertificates() throws Exception {
    Revocations r = keyring.revocations();
    X509Certificate admin = keyring.issueClient("carol", "admin").certificate();
    assertThat(r.status(admin)).isEqualTo(Revocations.Status.GOOD);
    assertThat(keyring.earlierSerials("carol")).containsExactly(admin.getSerialNumber());
    X509Certificate predict = keyring.issueClient("carol", "predict").certificate();
    assertThat(r.status(admin)).as("one name never holds two roles at once")
        .isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(predict)).isEqualTo(Revocations.Status.GOOD);
    assertThat(r.status(alice)).as("other names untouched").isEqualTo(Revocations.Status.GOOD);
    assertThat(keyring.earlierSerials("nobody")).isEmpty();
    // Issued again once all are revoked: nothing more to revoke, and nothing said to be.
    keyring.revoke("carol");
    assertThat(keyring.issueClient("carol", "predict", java.time.Duration.ofDays(1),
        java.util.List.of(), java.util.List.of()).revoked()).isEmpty();
  }

  @Test
  void reissuingANameWhoseRecordIsPartialRevokesWhatTheLedgerNames() throws Exception {
    X509Certificate second = keyring.issueClient("alice", "admin").certificate();
    // A home from an earlier version: no record, the first certificate only on the ledger, and
    // never revoked (that version revoked nothing at a re-issue).
    Files.delete(tmp.resolve("keys/identities/alice.issued"));
    Files.delete(keyring.crlFile());
    assertThat(keyring.revocations().status(alice)).isEqualTo(Revocations.Status.GOOD);
    Keyring.Issued third = keyring.issueClient("alice", "predict", java.time.Duration.ofDays(1),
        java.util.List.of(), java.util.List.of(alice.getSerialNumber()));
    assertThat(third.revoked()).containsExactlyInAnyOrder(alice.getSerialNumber(),
        second.getSerialNumber());
    Revocations r = keyring.revocations();
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(second)).isEqualTo(Revocations.Status.REVOKED);
    assertThat(r.status(third.identity().certificate())).isEqualTo(Revocations.Status.GOOD);
  }

  @Test
  void anIdentityIssuedBeforeTheRecordWasKeptKeepsItsFirstCertificateInIt() throws Exception {
    Files.delete(tmp.resolve("keys/identities/alice.issued")); // as a home from before
    X509Certificate second = keyring.issueClient("alice", "predict").certificate();
    assertThat(keyring.issuedSerials("alice")).containsExactly(alice.getSerialNumber(),
        second.getSerialNumber());
    keyring.revoke("alice");
    assertThat(keyring.revocations().status(alice)).isEqualTo(Revocations.Status.REVOKED);
  }

  @Test
  void aDamagedIssueRecordIsRefusedInOneLine() throws Exception {
    Path record = tmp.resolve("keys/identities/alice.issued");
    assertThat(record).exists();
    Files.writeString(record, "zz\n");
    assertThatThrownBy(() -> keyring.revoke("alice"))
        .isInstanceOf(dev.bastion.core.BadInputException.class)
        .hasMessageContaining("alice.issued: line 1: not a certificate serial");
  }

  @Test
  void aListThatCannotBeLookedAtRefusesEveryone() throws Exception {
    // A directory where the file should be: it exists, but is no list.
    Files.createDirectories(keyring.crlFile());
    Revocations r = keyring.revocations();
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.UNKNOWN);
  }

  /** The keyring's revocation list, looked at on the clock {@code now[0]} (nanoseconds). */
  private Revocations clocked(long[] now) throws Exception {
    java.security.KeyStore trusted = keyring.trustStore();
    X509Certificate ca =
        (X509Certificate) trusted.getCertificate(trusted.aliases().nextElement());
    return new Revocations(keyring.crlFile(), ca, () -> now[0]);
  }

  @Test
  void whatHidesTheListFromTheCheapLookIsSeenByAFullOneWithinASecond() throws Exception {
    long[] now = {0};
    Revocations r = clocked(now);
    assertThat(r.status(alice)).as("a full look: no list").isEqualTo(Revocations.Status.GOOD);
    // A link loop where the list should be: java.io.File says "absent", as it would for a list
    // in a directory that cannot be searched; a full look cannot read it.
    Files.createSymbolicLink(keyring.crlFile(), keyring.crlFile().getFileName());
    now[0] += Revocations.FULL_LOOK_NANOS / 2;
    assertThat(r.status(alice)).as("within the cheap look's time")
        .isEqualTo(Revocations.Status.GOOD);
    now[0] += Revocations.FULL_LOOK_NANOS;
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.UNKNOWN);
    assertThat(r.problem()).contains("cannot read the revocation list");
    // Something was there: its removal is not a clean slate either.
    Files.delete(keyring.crlFile());
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.UNKNOWN);
    assertThat(r.problem()).contains("removed");
  }

  @Test
  void aConfirmedAbsenceKeepsNobodyRevokedAcrossFullLooks() throws Exception {
    long[] now = {0};
    Revocations r = clocked(now);
    for (int i = 0; i < 5; i++) {
      assertThat(r.status(alice)).isEqualTo(Revocations.Status.GOOD);
      now[0] += Revocations.FULL_LOOK_NANOS + 1;
    }
    keyring.revoke("alice");
    assertThat(r.status(alice)).as("a list written between two full looks is read at once")
        .isEqualTo(Revocations.Status.REVOKED);
  }

  @Test
  void checksRacingARevocationNeverSeeItUndone() throws Exception {
    Revocations r = keyring.revocations();
    AtomicBoolean revoked = new AtomicBoolean();
    AtomicInteger goodAfterRevocation = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(4);
    for (int t = 0; t < 4; t++) {
      Thread.ofPlatform().start(() -> {
        try {
          for (int i = 0; i < 2_000; i++) {
            boolean before = revoked.get();
            if (before && r.status(alice) == Revocations.Status.GOOD) {
              goodAfterRevocation.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    keyring.revoke("alice");
    revoked.set(true);
    done.await();
    assertThat(goodAfterRevocation).hasValue(0);
    assertThat(r.status(alice)).isEqualTo(Revocations.Status.REVOKED);
  }
}
