package dev.bastion.policy;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the policy file parser, the engine's handling of evidence and the decision reader. A plain
 * {@code mvn test} replays the inputs under
 * {@code src/test/resources/dev/bastion/policy/PolicyFuzzTestInputs/<method>/}; run with
 * {@code JAZZER_FUZZ=1} and one method selected to fuzz for real.
 */
class PolicyFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void gatePolicies(byte[] bytes) {
    PolicyInvariants.assertPoliciesParseOrAreRefused(bytes);
  }

  @FuzzTest(maxDuration = "2m")
  void evidence(byte[] bytes) {
    PolicyInvariants.assertEvidenceIsDecided(bytes);
  }

  @FuzzTest(maxDuration = "2m")
  void decisionPredicate(byte[] bytes) {
    PolicyInvariants.assertPredicateVerifiesOrIsRefused(bytes);
  }
}
