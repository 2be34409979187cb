package dev.bastion.data.profile;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the deserialisers of untrusted profiles and sketches: any bytes are either refused with a
 * BadInputException or accepted as a value whose canonical form is the input. Plain {@code mvn
 * test} replays the inputs under {@code
 * src/test/resources/dev/bastion/data/profile/ProfileFuzzTestInputs/<method>/}; set {@code
 * JAZZER_FUZZ=1} and select one method to fuzz for real. Keep every crash found there.
 */
class ProfileFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void sketches(byte[] bytes) {
    DeserialiserInvariants.assertSketchesReadOrRefuse(bytes);
  }

  @FuzzTest(maxDuration = "2m")
  void profile(byte[] bytes) {
    DeserialiserInvariants.assertProfileReadsOrRefuses(bytes);
  }
}
