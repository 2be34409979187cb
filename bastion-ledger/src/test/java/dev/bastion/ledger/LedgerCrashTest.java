package dev.bastion.ledger;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.ledger.tlog.NoteVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: a child JVM appends to the ledger at full speed from several threads and is killed
 * with SIGKILL at a random moment, {@value #KILLS} times. After every kill the ledger opens (cutting
 * off what was never acknowledged), verifies, and still holds every entry the child reported as
 * acknowledged, at the index it was given. Every fifth time a torn line is added to the tail
 * before the restart, as a write cut short by a power loss would leave it.
 */
class LedgerCrashTest {
  static final int KILLS = 50;

  @TempDir Path tmp;

  @Test
  void killedAtRandomMomentsTheLedgerLosesNoAcknowledgedEntry() throws Exception {
    Path dir = tmp.resolve("ledger");
    NoteSigner signer = NoteSigner.generate("test-ledger");
    NoteVerifier key = LedgerTestKit.verifier(signer);
    Path keyFile = tmp.resolve("checkpoint.key");
    Files.write(keyFile, signer.privateKeyPkcs8());
    Random random = new Random(20261126);
    Map<Long, String> acked = new ConcurrentHashMap<>();
    long ackedTotal = 0;
    int cutTails = 0;
    for (int life = 0; life < KILLS; life++) {
      Map<Long, String> thisLife = new ConcurrentHashMap<>();
      Process child = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-cp", System.getProperty("java.class.path"), "-Xshare:auto",
              CrashChild.class.getName(), dir.toString(), keyFile.toString(), "16",
              Integer.toString(life))
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      CountDownLatch ready = new CountDownLatch(1);
      List<String> malformed = Collections.synchronizedList(new ArrayList<>());
      Thread reader = new Thread(() -> {
        try (BufferedReader in =
            new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("ready")) {
              ready.countDown();
              continue;
            }
            int sp = line.indexOf(' ');
            if (sp > 0 && line.substring(0, sp).chars().allMatch(Character::isDigit)) {
              thisLife.put(Long.parseLong(line.substring(0, sp)), line.substring(sp + 1));
            } else {
              malformed.add(line);
            }
          }
        } catch (IOException e) {
          // The pipe breaks when the child dies.
        }
      });
      reader.start();
      assertThat(ready.await(60, TimeUnit.SECONDS)).as("child %d ready", life).isTrue();
      Thread.sleep(random.nextInt(250));
      child.destroyForcibly();
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      reader.join(60_000);
      assertThat(malformed).as("lines from child %d", life).isEmpty();
      ackedTotal += thisLife.size();
      acked.putAll(thisLife);

      if (life % 5 == 4) {
        List<Segments.Segment> segs = Segments.list(dir);
        Files.write(segs.get(segs.size() - 1).path(),
            "{\"event\":{\"action\":\"pred".getBytes(UTF_8), StandardOpenOption.APPEND);
      }
      long before = totalSegmentBytes(dir);
      long size;
      try (Ledger l = Ledger.open(dir, signer)) {
        size = l.size();
      }
      if (totalSegmentBytes(dir) < before) {
        cutTails++;
      }
      LedgerVerifier.Result r = LedgerVerifier.verify(dir, key);
      assertThat(r.size()).isEqualTo(size);
      long maxAcked = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
      assertThat(size).as("life %d: size after restart", life).isGreaterThan(maxAcked);
      // Every entry acknowledged in this life, and a sample of the older ones, as acknowledged.
      List<Long> check = new ArrayList<>(thisLife.keySet());
      List<Long> older = new ArrayList<>(acked.keySet());
      for (int k = 0; k < 50 && !older.isEmpty(); k++) {
        check.add(older.get(random.nextInt(older.size())));
      }
      for (long index : check) {
        Event e = Segments.parseEntry(index, LedgerVerifier.entryLine(dir, index)).event();
        assertThat(e.runId()).as("entry %d", index).isEqualTo(acked.get(index));
      }
    }
    System.out.printf("LedgerCrashTest: %d kills, %d acknowledged appends seen, %d entries, %d"
        + " restarts cut off a tail%n", KILLS, ackedTotal, Segments.list(dir).isEmpty() ? 0
        : LedgerVerifier.verify(dir, key).size(), cutTails);
    assertThat(ackedTotal).as("acknowledged appends over all lives").isGreaterThan(KILLS * 10L);
    assertThat(cutTails).as("restarts that cut off a tail").isGreaterThanOrEqualTo(KILLS / 5);
  }

  private static long totalSegmentBytes(Path dir) throws Exception {
    long n = 0;
    for (Segments.Segment s : Segments.list(dir)) {
      n += Files.size(s.path());
    }
    return n;
  }
}
