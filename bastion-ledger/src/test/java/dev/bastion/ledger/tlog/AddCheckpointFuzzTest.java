package dev.bastion.ledger.tlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bastion.core.BadInputException;

/**
 * Fuzzes {@link AddCheckpoint#parse}, the reader of witness requests (untrusted: they come from the
 * log's machine). Any input is either refused with one line naming the request, or accepted and
 * then written back by {@link AddCheckpoint#format} as the very same bytes. A plain {@code mvn
 * test} replays the inputs under {@code
 * src/test/resources/dev/bastion/ledger/tlog/AddCheckpointFuzzTestInputs/parse/}; set {@code
 * JAZZER_FUZZ=1} and select this method to fuzz for real.
 */
class AddCheckpointFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void parse(byte[] bytes) {
    AddCheckpoint r;
    try {
      r = AddCheckpoint.parse(bytes);
    } catch (BadInputException e) {
      assertThat(e.getMessage()).startsWith("witness request: ").doesNotContain("\n");
      return;
    }
    assertThat(r.format()).isEqualTo(bytes);
    assertThat(r.oldSize()).isNotNegative();
    assertThat(r.proof()).hasSizeLessThanOrEqualTo(AddCheckpoint.MAX_PROOF_HASHES);
    assertThat(r.checkpoint()).isNotEmpty();
  }
}
