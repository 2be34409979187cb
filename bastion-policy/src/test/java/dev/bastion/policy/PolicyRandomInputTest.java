package dev.bastion.policy;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.bastion.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The properties of {@link PolicyFuzzTest} on seeded mutations of real documents, in every build. */
class PolicyRandomInputTest {
  private static final String[] TOKENS = {
    "{", "}", "[", "]", ",", ":", "\"", "\"gates\"", "\"name\"", "\"rule\"", "\"data\"", "\"metrics\"",
    "\"train\"", "\"auc\"", "\"rows\"", "\"outcome\"", "\"pass\"", "\"inputs\"", "null", "true", "false",
    "0", "-1", "0.7", "1e400", "18446744073709551616", "\"\"", "\" && \"", "\"1/0 == 1\"", "\"true\"",
    "\"data.rows >= 500 ||\"", "\"(((((((((((((((((((((((((((((((((true)))))))))))))))))))))))))))))))))\"",
  };

  static LongStream seeds() {
    return LongStream.range(0, 25).map(i -> 0x6A7E_0000L + i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedPoliciesParseOrAreRefused(long seed) {
    Random rnd = new Random(seed);
    for (int i = 0; i < 40; i++) {
      PolicyInvariants.assertPoliciesParseOrAreRefused(mutate(rnd, GatePolicies.DEFAULTS).getBytes(UTF_8));
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedEvidenceIsDecided(long seed) {
    String evidence =
        "{\"data\":{\"rows\":1000,\"invalid_rows\":0,\"tokenised_fields\":[\"ssn\"]},"
            + "\"train\":{\"epochs\":10,\"learning_rate\":0.1},"
            + "\"metrics\":{\"auc\":0.8,\"accuracy\":0.7}}";
    Random rnd = new Random(seed);
    for (int i = 0; i < 40; i++) {
      PolicyInvariants.assertEvidenceIsDecided(mutate(rnd, evidence).getBytes(UTF_8));
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void mutatedPredicatesVerifyOrAreRefused(long seed) {
    String predicate =
        Json.canonicalString(GateDecisionTest.decision(GateDecision.Outcome.PASS).toPredicate());
    Random rnd = new Random(seed);
    for (int i = 0; i < 40; i++) {
      PolicyInvariants.assertPredicateVerifiesOrIsRefused(mutate(rnd, predicate).getBytes(UTF_8));
    }
  }

  /** Replace, insert or delete whole JSON tokens, a few times. */
  static String mutate(Random rnd, String json) {
    List<String> parts = new ArrayList<>(List.of(json.split("(?<=[{}\\[\\],:])|(?=[{}\\[\\],:])")));
    for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
      int at = rnd.nextInt(parts.size());
      String t = TOKENS[rnd.nextInt(TOKENS.length)];
      switch (rnd.nextInt(3)) {
        case 0 -> parts.add(at, t);
        case 1 -> parts.remove(at);
        default -> parts.set(at, t);
      }
      if (parts.isEmpty()) {
        parts.add("{}");
      }
    }
    return String.join("", parts);
  }
}
