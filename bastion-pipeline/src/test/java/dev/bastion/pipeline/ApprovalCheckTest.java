package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.ledger.LedgerVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Approval checks what a run checks of a definition, its schema and the gate policies: what every
 * run would refuse is refused when it is approved, with the run's message, and nothing is signed
 * or logged.
 */
class ApprovalCheckTest {
  @TempDir Path tmp;
  private Path pipeline;
  private Home home;

  @BeforeEach
  void init() throws Exception {
    pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
  }

  @AfterEach
  void close() throws Exception {
    home.close();
  }

  /** A consent column whose purposes are credit-scoring and marketing. */
  private static final String CONSENT = "{\"name\": \"consent\", \"type\": \"purposes\","
      + " \"values\": [\"credit-scoring\", \"marketing\"]},\n    {\"name\": \"class\"";

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("protect: a column not in the schema", "pipeline.yaml",
            "  - foreign_worker\n", "  - nosuchcol\n",
            "pipeline.yaml: protect: column 'nosuchcol' is not in the schema"),
        Arguments.of("protect: the label", "pipeline.yaml", "  - foreign_worker\n", "  - class\n",
            "pipeline.yaml: protect: column 'class' must be a categorical input column to be"
                + " tokenised"),
        Arguments.of("a positive class the label does not have", "pipeline.yaml",
            "positive_class: bad", "positive_class: awful",
            "train.positive_class 'awful' is not a value of 'class'"),
        Arguments.of("a purpose the schema does not declare", "schema.json",
            "{\"name\": \"class\"", CONSENT,
            "pipeline.yaml: purpose 'weather' is not one that data set 'german-credit' asks"
                + " consent for (column 'consent': credit-scoring, marketing)"),
        Arguments.of("a sensitivity that is none", "schema.json",
            "\"min\": 18, \"max\": 100}", "\"min\": 18, \"max\": 100, \"sensitivity\": \"bogus\"}",
            "sensitivity \"bogus\" is not keep, tokenise, encrypt or drop"),
        Arguments.of("a column declared twice", "schema.json",
            "{\"name\": \"class\"", "{\"name\": \"age\", \"type\": \"integer\"},\n"
                + "    {\"name\": \"class\"",
            "'age' declared twice"),
        Arguments.of("a label not declared", "schema.json", "\"label\": \"class\"",
            "\"label\": \"klass\"", "schema.json: label column 'klass' is not declared"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void whatARunRefusesIsNotApproved(String name, String file, String from, String to,
      String message) throws Exception {
    Path edited = pipeline.resolveSibling(file);
    String text = Files.readString(edited);
    assertThat(text).contains(from);
    Files.writeString(edited, text.replace(from, to));
    if (name.contains("purpose")) {
      Files.writeString(pipeline, Files.readString(pipeline)
          .replace("schema: schema.json\n", "schema: schema.json\npurpose: weather\n"));
    }
    List<Path> approvals = approvals();
    long events = LedgerVerifier.events(home.dir().resolve("ledger")).size();

    assertThatThrownBy(() -> home.integrity().approve(pipeline, "pipeline", "credit-risk", "r"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining(message)
        .hasMessageNotContaining("\n");
    assertThat(approvals()).isEqualTo(approvals);
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger"))).hasSize((int) events);
  }

  @Test
  void gatePoliciesNamingNoDetectorAreNotApproved() throws Exception {
    Path gates = Home.policiesFile(home.dir());
    Files.writeString(gates, Files.readString(gates).replace("\"trigger\"", "\"nosuch\""));
    byte[] approval = Files.readAllBytes(approvals().get(0));
    long events = LedgerVerifier.events(home.dir().resolve("ledger")).size();

    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("gate 'train': suspect_detectors names 'nosuch', which is not a"
            + " detector");
    assertThat(Files.readAllBytes(approvals().get(0))).isEqualTo(approval);
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger"))).hasSize((int) events);
  }

  @Test
  void gatePoliciesWithAnUnknownFieldAreNotApproved() throws Exception {
    Path gates = Home.policiesFile(home.dir());
    Files.writeString(gates, Files.readString(gates)
        .replace("\"suspect_detectors\"", "\"suspect_detector\""));
    long events = LedgerVerifier.events(home.dir().resolve("ledger")).size();

    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(gates + ": gates[0]: unknown field 'suspect_detector'");
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger"))).hasSize((int) events);
  }

  @Test
  void aGateNoRunDecidesAtOrScreeningOutsideTrainIsNotApproved() throws Exception {
    Path gates = Home.policiesFile(home.dir());
    String original = Files.readString(gates);
    long events = LedgerVerifier.events(home.dir().resolve("ledger")).size();
    Files.writeString(gates, original.replace("\"name\": \"register\"",
        "\"name\": \"regsiter\""));
    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'regsiter'");
    Files.writeString(gates, original.replace("\"gates\": [", "\"gates\": [{\"name\":"
        + " \"deploy\", \"rule\": \"true\"},"));
    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(gates + ": gate 'deploy' is not one a run decides at (train, evaluate,"
            + " register); it would never be evaluated");
    Files.writeString(gates, original.replace("\"name\": \"evaluate\",",
        "\"name\": \"evaluate\", \"suspect_detectors\": [\"outlier\"],"));
    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(BadInputException.class)
        .hasMessage(gates + ": gate 'evaluate': suspect_rows and suspect_detectors apply to the"
            + " 'train' gate only");
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger"))).hasSize((int) events);
    Files.writeString(gates, original);
    home.approvePolicies(Integrity.currentUser());
  }

  private List<Path> approvals() throws Exception {
    try (Stream<Path> s = Files.list(home.dir().resolve("approvals"))) {
      return s.sorted().toList();
    }
  }
}
