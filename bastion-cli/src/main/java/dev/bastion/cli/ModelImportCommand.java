package dev.bastion.cli;

import dev.bastion.attest.modelsign.ModelVerifier;
import dev.bastion.attest.modelsign.Resource;
import dev.bastion.attest.modelsign.TrustRoot;
import dev.bastion.attest.modelsign.VerifiedModel;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.VerificationException;
import dev.bastion.crypto.Identity;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.Validator;
import dev.bastion.pipeline.Home;
import dev.bastion.pipeline.Integrity;
import dev.bastion.pipeline.ModelImport;
import dev.bastion.serve.onnx.ImportedModel;
import dev.bastion.serve.onnx.OnnxModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bastion model import FILE.onnx --name N --schema S --reference DATA.csv
 * --positive-class C}: checks that an ONNX classifier parses and runs, evaluates and profiles it on
 * reference data, and registers it through the register gate, signed, as {@link ModelImport}
 * says. Nothing is registered when any step fails.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = {
      "Import an ONNX classifier trained elsewhere: it must parse, use standard operators only"
          + " and run (ONNX Runtime); it is evaluated and profiled on the reference data, the"
          + " 'register' gate decides on its AUC and accuracy there, and the registry signs the"
          + " new version of NAME. The gateway then serves it like a trained model.",
      "The schema's feature columns, in file order, are the model's input columns (numeric"
          + " only); its label column holds the classes.",
      "Exit 0 when registered; 1 when the reference data fails the schema or the gate refuses;"
          + " 2 for bad usage or input (a file that is not a classifier Bastion serves)."
    })
final class ModelImportCommand implements Callable<Integer> {
  /** Reference data is read whole, to store exactly the bytes evaluated. */
  private static final long MAX_REFERENCE_BYTES = 256L << 20;

  @Parameters(index = "0", paramLabel = "FILE.onnx", description = "the ONNX model file")
  Path file;

  @Option(names = "--name", required = true, paramLabel = "NAME",
      description = "the registered model name (a new version when it exists)")
  String name;

  @Option(names = "--schema", required = true, paramLabel = "SCHEMA.json",
      description = "the input columns, their ranges, and the label column")
  Path schema;

  @Option(names = "--reference", required = true, paramLabel = "DATA.csv",
      description = "labelled rows to evaluate and profile the model on")
  Path reference;

  @Option(names = "--positive-class", required = true, paramLabel = "CLASS",
      description = "the class whose probability is the risk score (for the AUC)")
  String positiveClass;

  @Option(names = "--signature", paramLabel = "FILE.sig",
      description = "an OpenSSF Model Signing bundle over FILE.onnx (files method), checked"
          + " before anything else with --public-key or --cert-chain; its signer goes into the"
          + " import's signed provenance")
  Path signature;

  @Option(names = "--public-key", paramLabel = "PUB.pem",
      description = "with --signature: the producer's public key")
  Path publicKey;

  @Option(names = "--cert-chain", paramLabel = "CA.pem",
      description = "with --signature: CA certificates the signing certificate must chain to"
          + " (repeatable)")
  List<Path> certChain = new ArrayList<>();

  @Option(names = "--labels", split = ",", paramLabel = "LABEL", splitSynopsisLabel = ",",
      description = "the class labels in the order of the model's probability columns (default:"
          + " the model's own map keys, or 0 to C-1)")
  List<String> labels = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (signature == null && (publicKey != null || !certChain.isEmpty())) {
      throw new BadInputException("--public-key and --cert-chain go with --signature");
    }
    if (signature != null && (publicKey == null) == certChain.isEmpty()) {
      throw new BadInputException("--signature needs exactly one of --public-key or --cert-chain");
    }
    // Checked before anything is read or stored.
    if (!Identity.isName(name)) {
      throw new BadInputException("--name '" + name + "': use 1-63 of a-z 0-9 . _ -, starting"
          + " with a letter or digit");
    }
    Schema s = Schema.load(schema);
    for (Schema.Column c : s.columns()) {
      // Protection and consent are applied by a pipeline's ingest, which an import does not
      // run: reference data that needs them is refused rather than stored as it came.
      if (c.type() == Schema.Type.PURPOSES || c.sensitivity() != Schema.Sensitivity.KEEP) {
        throw new BadInputException(schema + ": column '" + c.name() + "' is "
            + (c.type() == Schema.Type.PURPOSES ? "a consent column"
                : c.sensitivity().spelling())
            + "; reference data for an import must hold only columns kept as they are (remove"
            + " the others from the schema and the data)");
      }
    }
    byte[] onnx = InputFiles.read(file, "ONNX model file", OnnxModel.MAX_MODEL_BYTES);
    String signer = signature == null ? null : verifySignature(onnx);
    byte[] csv = InputFiles.read(reference, "reference data file", MAX_REFERENCE_BYTES);
    // The bytes stored are the bytes evaluated: read once, decoded strictly.
    Table table = new CsvReader().read(
        new InputStreamReader(new ByteArrayInputStream(csv), StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)),
        reference.toString());
    Validator.Result valid = Validator.validate(table, s);
    if (!valid.ok()) {
      throw new CheckFailedException(valid.issues().get(0).describe() + " (" + valid.issueCount()
          + " issues in " + valid.invalidRows() + " rows; the reference data must pass the"
          + " schema)");
    }
    // Only the model's inputs and the label are kept: nothing else is evaluated or stored.
    for (String c : table.columns()) {
      if (!c.equals(s.label()) && s.column(c).map(col -> !s.isFeature(col)).orElse(true)) {
        table = table.withoutColumn(c);
      }
    }
    String where = file.getFileName().toString();
    try (Home home = Home.open(Home.defaultDir())) {
      byte[] artifact;
      Map<String, String> parameters = new LinkedHashMap<>();
      try (ImportedModel model =
          ImportedModel.create(onnx, where, labels, s, positiveClass, table)) {
        artifact = model.toBytes();
        parameters.put("schema", s.digest().toString());
        parameters.put("positive_class", positiveClass);
        parameters.put("classes", String.join(",", model.classes()));
        parameters.put("features", String.join(",", model.features()));
        if (signer != null) {
          parameters.put("oms_signer", signer);
        }
      }
      ModelImport.Request req = new ModelImport.Request(name, where, artifact, table,
          positiveClass, ImportedModel::fromBytes, "ONNX Runtime " + OnnxModel.runtimeVersion(),
          parameters);
      ModelImport.Result r = new ModelImport(home, line -> System.out.println("  " + line))
          .run(req, Integrity.Invocation.modelImport());
      System.out.println("run " + r.runId() + " registered " + r.registration().name() + " v"
          + r.registration().version() + " (imported " + where + ")");
    }
    return 0;
  }

  /**
   * Checks the OMS bundle over the file and that the bytes read are the ones it signs (the file
   * is read twice: once here, once by the verifier).
   *
   * @return who signed it
   * @throws VerificationException if the signature or the file does not verify
   */
  private String verifySignature(byte[] onnx) throws BastionException, IOException {
    TrustRoot trust = ModelCommand.trustRoot(publicKey, certChain);
    VerifiedModel v;
    try {
      v = ModelVerifier.verify(file, signature, trust, ModelVerifier.Options.defaults());
    } catch (VerificationException e) {
      // model verify lists every file on a line of its own; one file needs one line
      throw new VerificationException(signature + ": " + String.join("; ",
          e.getMessage().lines().map(String::strip).toList()), e);
    }
    List<Resource> signed = v.manifest().resources();
    if (signed.size() != 1 || !signed.get(0).digest().equals(Digest.of(onnx))) {
      throw new VerificationException(signature + ": does not sign the bytes read from " + file
          + " as one file (sign it with the files method; was it changed meanwhile?)");
    }
    return v.signer();
  }
}
