package dev.bastion.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.crypto.Keyring;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.Ledger;
import dev.bastion.ledger.LedgerVerifier;
import dev.bastion.ledger.tlog.NoteSigner;
import dev.bastion.train.TabularModel;
import dev.bastion.train.TrainParams;
import dev.bastion.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A gateway's surroundings on loopback for tests: a keyring (CA, gateway and client identities),
 * a ledger, and a model trained by the project's trainer on the credit example (its schema
 * declares integer columns with ranges, such as credit_amount in [1, 1000000]). Surefire runs in
 * the module directory, hence the {@code ..}.
 */
final class GatewayFixture implements AutoCloseable {
  static final Path CREDIT = Path.of("..", "examples", "credit");
  static final String PREDICT = "/v1/models/credit-risk:predict";

  final Path dir;
  final Keyring keyring;
  final Ledger ledger;
  final ServedModel served;
  final Table credit;
  final Schema schema;

  GatewayFixture(Path dir) throws Exception {
    this.dir = dir;
    this.keyring = Keyring.initialise(dir.resolve("keys"));
    this.ledger = Ledger.open(dir.resolve("ledger"), NoteSigner.generate("test-ledger"));
    this.credit = new CsvReader().read(CREDIT.resolve("credit-g.csv"));
    this.schema = Schema.load(CREDIT.resolve("schema.json"));
    ObjectNode train = Json.object();
    train.put("positive_class", "bad");
    train.put("epochs", 10);
    train.put("learning_rate", 0.1);
    train.put("seed", 7);
    train.put("holdout", 0.3);
    TabularModel model = Trainer.train(credit, schema, TrainParams.fromJson(train, "test"),
        List.of());
    this.served = new ServedModel("credit-risk", 1,
        Digest.of("credit-risk v1".getBytes(StandardCharsets.UTF_8)), model, () -> { });
  }

  Gateway start(Gateway.Config config) throws Exception {
    return Gateway.start(config, served, keyring, keyring.trust(), ledger);
  }

  /** Real applicant {@code row} of the data set, as an instance (numbers as JSON numbers). */
  ObjectNode real(int row) {
    ObjectNode inst = Json.object();
    Table.Row r = credit.rows().get(row);
    for (int i = 0; i < credit.columns().size(); i++) {
      String c = credit.columns().get(i);
      if (c.equals(schema.label())) {
        continue;
      }
      String v = r.cells().get(i);
      if (schema.column(c).orElseThrow().numeric()) {
        inst.put(c, Long.parseLong(v));
      } else {
        inst.put(c, v);
      }
    }
    return inst;
  }

  /** A request of {@code instances}. */
  static String request(List<ObjectNode> instances) {
    ObjectNode o = Json.object();
    ArrayNode a = o.putArray("instances");
    instances.forEach(a::add);
    return Json.canonicalString(o);
  }

  /** Every event on the ledger so far whose details hold {@code key}={@code value}. */
  List<Event> events(String key, String value) throws Exception {
    return LedgerVerifier.events(ledger.directory()).stream()
        .filter(e -> value.equals(e.details().get(key)))
        .toList();
  }

  /** The ledger's events. */
  List<Event> events() throws Exception {
    return LedgerVerifier.events(ledger.directory());
  }

  @Override
  public void close() throws Exception {
    ledger.close();
  }
}
