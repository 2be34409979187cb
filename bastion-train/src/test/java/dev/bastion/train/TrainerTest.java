package dev.bastion.train;

import static dev.bastion.train.CreditFixtures.instance;
import static dev.bastion.train.CreditFixtures.params;
import static dev.bastion.train.CreditFixtures.schema;
import static dev.bastion.train.CreditFixtures.tokenised;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Training and evaluation on the real German credit example. */
class TrainerTest {

  @Test
  void theCreditModelIsGoodEnoughToRegister() throws BadInputException {
    Trainer.Metrics m = Trainer.evaluate(CreditFixtures.model(), tokenised(), params());

    assertThat(m.holdoutRows()).isEqualTo(300);
    assertThat(m.auc()).isGreaterThan(0.7).isLessThanOrEqualTo(1.0);
    assertThat(m.accuracy()).isGreaterThan(0.65).isLessThanOrEqualTo(1.0);
  }

  @Test
  void theRawTableWithoutProtectedColumnsTrainsToo() throws BadInputException {
    Table raw = CreditFixtures.table();
    TabularModel model = Trainer.train(raw, schema(), params(), List.of());

    Trainer.Metrics m = Trainer.evaluate(model, raw, params());

    assertThat(m.auc()).isGreaterThan(0.7);
    assertThat(m.accuracy()).isGreaterThan(0.65);
    assertThat(model.spec().categorical().get(CreditFixtures.PROTECTED))
        .containsExactlyElementsOf(schema().column(CreditFixtures.PROTECTED).orElseThrow().values());
  }

  @Test
  void trainingTwiceWithTheSameSeedPredictsIdentically() throws BadInputException {
    TabularModel a = Trainer.train(tokenised(), schema(), params(), List.of(CreditFixtures.PROTECTED));
    TabularModel b = Trainer.train(tokenised(), schema(), params(), List.of(CreditFixtures.PROTECTED));

    Trainer.Split split = Trainer.split(tokenised(), params().seed(), params().holdout());
    for (Table.Row r : split.holdout()) {
      Classifier.Result pa = a.predict(instance(tokenised(), r), "row " + r.line());
      Classifier.Result pb = b.predict(instance(tokenised(), r), "row " + r.line());
      assertThat(pb).as("line %d", r.line()).isEqualTo(pa);
    }
    assertThat(b.spec().toJson()).isEqualTo(a.spec().toJson());
    assertThat(Trainer.evaluate(b, tokenised(), params()))
        .isEqualTo(Trainer.evaluate(a, tokenised(), params()));
  }

  @Test
  void predictionsAreProbabilitiesOverBothClasses() throws BadInputException {
    Table t = tokenised();
    Classifier.Result r = CreditFixtures.model().predict(instance(t, t.rows().get(0)), "row 1");

    assertThat(r.scores()).containsOnlyKeys("bad", "good");
    assertThat(r.scores().values()).allSatisfy(p -> assertThat(p).isBetween(0.0, 1.0));
    assertThat(r.scores().get("bad") + r.scores().get("good")).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.label()).isIn("bad", "good");
  }

  @Test
  void theSpecStandardisesWithTheTrainingSplitOnly() {
    FeatureSpec spec = CreditFixtures.model().spec();
    Table t = tokenised();
    Trainer.Split split = Trainer.split(t, params().seed(), params().holdout());
    int age = t.indexOf("age");
    double mean =
        split.train().stream().mapToDouble(r -> Double.parseDouble(r.cells().get(age))).average().orElseThrow();

    assertThat(spec.numeric().get("age")[0]).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(spec.numeric().get("age")[1]).isPositive();
    assertThat(spec.label()).isEqualTo("class");
    assertThat(spec.positiveClass()).isEqualTo("bad");
    assertThat(spec.protectedColumns()).containsExactly(CreditFixtures.PROTECTED);
    assertThat(spec.numeric()).containsOnlyKeys(
        "duration", "credit_amount", "installment_commitment", "residence_since", "age",
        "existing_credits", "num_dependents");
    assertThat(spec.inputColumns()).hasSize(20).doesNotContain("class");
    // protected columns list the tokens seen, sorted; never the raw values
    assertThat(spec.categorical().get(CreditFixtures.PROTECTED))
        .isSorted()
        .allSatisfy(tok -> assertThat(tok).startsWith("tok_"))
        .hasSize(4);
  }

  @Test
  void aPositiveClassThatIsNotALabelValueIsRefused() throws BadInputException {
    var json = CreditFixtures.trainJson().put("positive_class", "excellent");
    TrainParams p = TrainParams.fromJson(json, "pipeline.yaml");

    assertThatThrownBy(() -> Trainer.train(tokenised(), schema(), p, List.of()))
        .isInstanceOf(BadInputException.class)
        .hasMessage("train.positive_class 'excellent' is not a value of 'class'");
  }

  // ---- the split ----

  static LongStream seeds() {
    return LongStream.of(0, 1, 7, 42, -1, Long.MAX_VALUE);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theSplitIsDeterministicDisjointAndCoversEveryRow(long seed) {
    Table t = tokenised();

    Trainer.Split a = Trainer.split(t, seed, 0.3);
    Trainer.Split b = Trainer.split(t, seed, 0.3);

    assertThat(lines(a.train())).isEqualTo(lines(b.train()));
    assertThat(lines(a.holdout())).isEqualTo(lines(b.holdout()));
    assertThat(a.holdout()).hasSize(300);
    assertThat(a.train()).hasSize(700);
    Set<Table.Row> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    seen.addAll(a.train());
    seen.addAll(a.holdout());
    assertThat(seen).hasSize(1000);
    assertThat(new HashSet<>(lines(a.train()))).doesNotContainAnyElementsOf(lines(a.holdout()));
    List<Long> all = new ArrayList<>(lines(a.train()));
    all.addAll(lines(a.holdout()));
    assertThat(all).containsExactlyInAnyOrderElementsOf(lines(t.rows()));
  }

  @Test
  void differentSeedsSplitDifferently() {
    Table t = tokenised();

    assertThat(lines(Trainer.split(t, 1, 0.3).holdout()))
        .isNotEqualTo(lines(Trainer.split(t, 2, 0.3).holdout()));
  }

  @ParameterizedTest(name = "{0} of 1000 rows -> {1} held out")
  @CsvSource({"0.3, 300", "0.06, 60", "0.94, 940", "0.1234, 123", "0.1235, 124", "0.5, 500"})
  void theHoldoutIsTheRoundedFraction(double fraction, int expected) {
    Trainer.Split s = Trainer.split(tokenised(), 42, fraction);

    assertThat(s.holdout()).hasSize(expected);
    assertThat(s.train()).hasSize(1000 - expected);
  }

  @Test
  void theSplitDoesNotChangeTheTable() {
    Table t = tokenised();
    List<Long> before = lines(t.rows());

    Trainer.split(t, 3, 0.3);

    assertThat(lines(t.rows())).isEqualTo(before);
  }

  private static List<Long> lines(List<Table.Row> rows) {
    return rows.stream().map(Table.Row::line).toList();
  }
}
