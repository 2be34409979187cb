package dev.bastion.train;

import static dev.bastion.train.CreditFixtures.instance;
import static dev.bastion.train.CreditFixtures.params;
import static dev.bastion.train.CreditFixtures.tokenised;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.Table;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The input profile a trained model carries for the gateway's input guard. */
class InputProfileTest {
  private static InputProfile profile() {
    return CreditFixtures.model().inputProfile().orElseThrow();
  }

  @Test
  void heldOutRowsAreMostlyInDistribution() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    Trainer.Split split = Trainer.split(tokenised(), params().seed(), params().holdout());
    int out = 0;
    for (Table.Row r : split.holdout()) {
      InputProfile.Assessment a =
          profile().assess(m.spec(), instance(tokenised(), r), "row " + r.line());
      assertThat(a.outOfDomain()).as("line %d", r.line()).isEmpty();
      out += a.outOfDistribution() ? 1 : 0;
    }
    // Rarer than one training row in 200 scores above 1; held-out rows are a little more often.
    assertThat(out).isLessThanOrEqualTo(split.holdout().size() * 3 / 100);
  }

  @ParameterizedTest
  @ValueSource(strings = {"duration", "credit_amount", "age"})
  void oneFarValueIsOutOfDistribution(String column) throws BadInputException {
    TabularModel m = CreditFixtures.model();
    Table.Row r = tokenised().rows().get(0);
    Map<String, String> x = new LinkedHashMap<>(instance(tokenised(), r));
    double[] range = profile().observed().get(column);
    x.put(column, Long.toString((long) (range[1] + (range[1] - range[0]))));

    InputProfile.Assessment a = profile().assess(m.spec(), x, "instance");

    assertThat(a.outOfDistribution()).isTrue();
    assertThat(a.beyondTraining()).containsExactly(column);
  }

  @Test
  void anUnusualCombinationInsideEveryRangeScoresAboveOne() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    Map<String, String> x = new LinkedHashMap<>(instance(tokenised(), tokenised().rows().get(0)));
    // Each value seen in training, together unlike any applicant: the longest loan, the
    // smallest amount, the youngest age, the most dependants and credits.
    Map<String, double[]> obs = profile().observed();
    x.put("duration", fmt(obs.get("duration")[1]));
    x.put("credit_amount", fmt(obs.get("credit_amount")[0]));
    x.put("age", fmt(obs.get("age")[0]));
    x.put("existing_credits", fmt(obs.get("existing_credits")[1]));
    x.put("num_dependents", fmt(obs.get("num_dependents")[1]));

    InputProfile.Assessment a = profile().assess(m.spec(), x, "instance");

    assertThat(a.beyondTraining()).isEmpty();
    assertThat(a.score()).isGreaterThan(1);
  }

  @Test
  void aValueOutsideTheSchemasRangeIsOutOfDomain() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    Map<String, String> x = new LinkedHashMap<>(instance(tokenised(), tokenised().rows().get(0)));
    x.put("age", "17");

    assertThat(profile().assess(m.spec(), x, "instance").outOfDomain()).containsExactly("age");
  }

  /** A column the schema declares integer takes no fraction, as ingest takes none there. */
  @Test
  void aFractionInAnIntegerColumnIsRefused() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    assertThat(profile().integers()).contains("age", "duration").doesNotContain("class");
    Map<String, String> x = new LinkedHashMap<>(instance(tokenised(), tokenised().rows().get(0)));
    for (String v : List.of("35.5", "35.0", "3.55e1")) {
      x.put("age", v);
      assertThatThrownBy(() -> profile().assess(m.spec(), x, "instance"))
          .isInstanceOf(BadInputException.class)
          .hasMessage("instance: field 'age' is not an integer");
    }
    x.put("age", "35");
    assertThat(profile().assess(m.spec(), x, "instance").outOfDomain()).isEmpty();

    // A model trained before the profile recorded them checks no column for it.
    ObjectNode o = (ObjectNode) Json.parse(m.toBytes(), "model.json");
    ((ObjectNode) o.get("input_profile")).remove("integers");
    TabularModel older = TabularModel.fromBytes(Json.canonical(o), "model.json");
    assertThat(older.inputProfile().orElseThrow().integers()).isEmpty();
    x.put("age", "35.5");
    assertThat(older.inputProfile().orElseThrow().assess(m.spec(), x, "instance").outOfDomain())
        .isEmpty();
  }

  @Test
  void theProfileSurvivesTheStoredForm() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    TabularModel back = TabularModel.fromBytes(m.toBytes(), "model.json");

    // (Tribuo's own protobuf does not re-serialise byte for byte; the profile does.)
    assertThat(Json.canonicalString(back.inputProfile().orElseThrow().toJson()))
        .isEqualTo(Json.canonicalString(profile().toJson()));
    for (Table.Row r : tokenised().rows().subList(0, 50)) {
      Map<String, String> x = instance(tokenised(), r);
      assertThat(back.inputProfile().orElseThrow().assess(back.spec(), x, "x").score())
          .isEqualTo(profile().assess(m.spec(), x, "x").score());
    }
  }

  @Test
  void aModelWithoutAProfileStillReads() throws BadInputException {
    ObjectNode o = (ObjectNode) Json.parse(CreditFixtures.model().toBytes(), "model.json");
    o.remove("input_profile");

    assertThat(TabularModel.fromBytes(Json.canonical(o), "model.json").inputProfile()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"threshold", "location", "factor", "columns", "observed", "integers"})
  void aDamagedProfileIsBadInput(String field) throws BadInputException {
    ObjectNode o = (ObjectNode) Json.parse(CreditFixtures.model().toBytes(), "model.json");
    ObjectNode p = (ObjectNode) o.get("input_profile");
    switch (field) {
      case "threshold" -> p.put("threshold", -1);
      case "location" -> ((ArrayNode) p.get("location")).remove(0);
      case "factor" -> ((ArrayNode) p.get("factor").get(0)).set(0, 0.0);
      case "columns" -> ((ArrayNode) p.get("columns")).remove(0);
      case "integers" -> p.putArray("integers").add("class");
      default -> p.putObject("observed");
    }

    assertThatThrownBy(() -> TabularModel.fromBytes(Json.canonical(o), "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model.json: ");
  }

  private static String fmt(double v) {
    return Long.toString((long) v);
  }

  @Test
  void theOutputProfileIsTheHoldoutsPredictions() throws BadInputException {
    TabularModel m = CreditFixtures.model();
    OutputProfile o = m.outputProfile().orElseThrow();
    Trainer.Split split = Trainer.split(tokenised(), params().seed(), params().holdout());

    assertThat(o.rows()).isEqualTo(split.holdout().size());
    assertThat(o.labels().keySet()).containsExactly("bad", "good");
    assertThat(o.labels().values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(java.util.Arrays.stream(o.confidence()).sum())
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    // Two classes: the top probability is at least one half.
    for (int b = 0; b < OutputProfile.BINS / 2; b++) {
      assertThat(o.confidence()[b]).isZero();
    }
    TabularModel back = TabularModel.fromBytes(m.toBytes(), "model.json");
    assertThat(Json.canonicalString(back.outputProfile().orElseThrow().toJson()))
        .isEqualTo(Json.canonicalString(o.toJson()));
  }

  @Test
  void aDamagedOutputProfileIsBadInput() throws BadInputException {
    ObjectNode o = (ObjectNode) Json.parse(CreditFixtures.model().toBytes(), "model.json");
    ((ArrayNode) o.get("output_profile").get("confidence")).set(0, 2.0);

    assertThatThrownBy(() -> TabularModel.fromBytes(Json.canonical(o), "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("output_profile");
  }
}
