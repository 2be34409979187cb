package dev.bastion.cli;

import dev.bastion.crypto.KekRotation;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "keys", description = "Key management.", subcommands = {
    KeysCommand.Rotate.class})
final class KeysCommand {
  @Command(
      name = "rotate",
      description = "A new artifact key-encryption key: every data key re-wrapped under it without"
          + " re-encrypting the blobs, then the old key destroyed; all on the ledger.")
  static final class Rotate implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      try (Home home = Home.open(Home.defaultDir())) {
        String run = home.integrity().openSession("rotate");
        // Checked before the new key is made: a rotation that stops halfway on a damaged
        // artifact would leave every later one failing the same way.
        try {
          home.store().checkKeys(java.util.Set.of());
        } catch (dev.bastion.core.VerificationException e) {
          throw new dev.bastion.core.VerificationException(e.getMessage()
              + "; nothing was rotated (restore that artifact from a backup first)", e);
        }
        KekRotation rotation = home.keyring().beginKekRotation();
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, Integrity.currentUser(),
            "kek-rotate-begin", "kek:" + rotation.newKeyId(), "ok", run, Map.of()));
        long n = home.store().rewrapAll(rotation, Integrity.currentUser(), run);
        int retired = home.keyring().retire(rotation);
        home.ledger().append(Event.now(EventKind.KEY_OPERATION, Integrity.currentUser(),
            "kek-retire", "kek:" + rotation.newKeyId(), "ok", run,
            Map.of("destroyed_keys", Integer.toString(retired), "artifacts", Long.toString(n))));
        System.out.println("new key-encryption key " + rotation.newKeyId() + "; " + n
            + " data keys re-wrapped (blobs not re-encrypted); " + retired
            + " old key(s) destroyed");
      }
      return 0;
    }
  }
}
