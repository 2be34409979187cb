package dev.bastion.ledger;

import dev.bastion.core.DirectoryLock;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Trust;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Checks a ledger offline, from its files and the deployment's public certificates. */
public final class LedgerVerifier {
  /**
   * What a successful verification established.
   *
   * @param size the number of entries, all covered by the signed head
   * @param root the RFC 9162 root over them, base64
   */
  public record Result(long size, String root) {}

  private LedgerVerifier() {}

  /**
   * Checks the head's signature (by the {@code ledger} identity the CA issued), then every entry:
   * canonical form, index, chain hash; then that the head's size, chain hash and Merkle root are
   * exactly those of the entries. Any entry the signed head does not cover is a failure too: it was
   * written without the key or never acknowledged.
   *
   * @throws VerificationException naming the first bad entry, or the head
   */
  public static Result verify(Path dir, Trust trust) throws IOException, VerificationException {
    try (DirectoryLock.Held lock = DirectoryLock.lock(dir, false)) {
      Path headFile = dir.resolve(Ledger.HEAD);
      if (!Files.exists(headFile)) {
        throw new VerificationException(headFile + ": no signed head; the ledger is missing");
      }
      SignedHead head = SignedHead.parse(Files.readAllBytes(headFile), headFile.toString());
      try {
        trust.verify(head.keyId(), head.signedBytes(), head.sig(), Ledger.SIGNER);
      } catch (VerificationException e) {
        throw new VerificationException("ledger head: " + e.getMessage(), e);
      }
      Path entries = dir.resolve(Ledger.ENTRIES);
      long length = Files.exists(entries) ? Files.size(entries) : 0;
      LedgerReader.Scan scan = LedgerReader.scan(entries, length, head.size(), null);
      if (scan.entries() < head.size()) {
        throw new VerificationException(
            "ledger entry " + scan.entries() + ": missing; the signed head covers " + head.size()
                + " entries but only " + scan.entries() + " are present");
      }
      if (!MessageDigest.isEqual(scan.chainAtHead(), head.chain())) {
        throw new VerificationException("ledger head: chain hash does not match the entries");
      }
      if (!MessageDigest.isEqual(scan.atHead().root(), head.root())) {
        throw new VerificationException("ledger head: Merkle root does not match the entries");
      }
      if (scan.entries() > head.size()) {
        throw new VerificationException(
            "ledger entry " + head.size() + " (line " + (head.size() + 1)
                + "): not covered by the signed head (written without the key, or cut off by a"
                + " crash before its head)");
      }
      return new Result(head.size(), Base64.getEncoder().encodeToString(head.root()));
    }
  }

  /** Every event in the ledger, in order, after checking each line and its chain hash. */
  public static List<Event> events(Path dir) throws IOException, VerificationException {
    List<Event> out = new ArrayList<>();
    Path entries = dir.resolve(Ledger.ENTRIES);
    long length = Files.exists(entries) ? Files.size(entries) : 0;
    LedgerReader.scan(entries, length, 0, out::add);
    return out;
  }
}
