package dev.bastion.cli;

import dev.bastion.attest.modelsign.Bundle;
import dev.bastion.attest.modelsign.ModelSigner;
import dev.bastion.attest.modelsign.ModelVerifier;
import dev.bastion.attest.modelsign.Serialization;
import dev.bastion.attest.modelsign.SigningKey;
import dev.bastion.attest.modelsign.TrustRoot;
import dev.bastion.attest.modelsign.VerifiedModel;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.InputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bastion model sign|verify}: OpenSSF Model Signing (OMS) v1.0 signatures, interoperable
 * with the reference implementation. A thin layer over {@link ModelSigner} and
 * {@link ModelVerifier}. {@code bastion model import}: registers an ONNX classifier trained
 * elsewhere ({@link ModelImportCommand}).
 */
@Command(
    name = "model",
    description = "OpenSSF Model Signing (OMS v1.0) signatures for a model file or directory;"
        + " import of ONNX classifiers into the registry.",
    subcommands = {ModelCommand.Sign.class, ModelCommand.Verify.class, ModelImportCommand.class})
final class ModelCommand {
  /** Keys and certificates are small: a bigger file is not one. */
  private static final long MAX_KEY_FILE = 1 << 20;

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = {
        "Sign a model (a file or a directory) with an EC P-256/384/521 key, writing a Sigstore"
            + " bundle (DSSE over an in-toto statement, predicate"
            + " https://model_signing/signature/v1.0).",
        "Key method: --private-key only. Certificate method: --private-key, --signing-cert and"
            + " the chain above it with --cert-chain (repeatable).",
        "The signature file and top-level .git* entries are never signed; symbolic links are"
            + " refused unless --allow-symlinks, and never followed out of the model."
      })
  static final class Sign implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PATH", description = "the model file or directory")
    Path model;

    @Option(names = "--private-key", required = true, paramLabel = "KEY.pem",
        description = "EC private key, PEM (PKCS#8 or SEC1), unencrypted")
    Path privateKey;

    @Option(names = "--signing-cert", paramLabel = "CERT.pem",
        description = "signing certificate for the private key (certificate method)")
    Path signingCert;

    @Option(names = "--cert-chain", paramLabel = "CHAIN.pem",
        description = "certificates above the signing certificate (repeatable)")
    List<Path> certChain = new ArrayList<>();

    @Option(names = "--signature", paramLabel = "FILE", defaultValue = "model.sig",
        description = "where to write the bundle (default: ${DEFAULT-VALUE})")
    Path signature;

    @Option(names = "--ignore-paths", paramLabel = "P",
        description = "a path to leave out, relative to the model (repeatable)")
    List<Path> ignorePaths = new ArrayList<>();

    @Option(names = "--shards", arity = "0..1", paramLabel = "SIZE",
        fallbackValue = "" + Serialization.DEFAULT_SHARD_SIZE,
        description = "hash byte ranges of SIZE bytes (the shards method; 1K to 1T, default"
            + " ${FALLBACK-VALUE}) instead of whole files")
    String shards;

    @Option(names = "--allow-symlinks",
        description = "sign through symbolic links that stay inside the model (recorded in the"
            + " bundle, so verification follows them too)")
    boolean allowSymlinks;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      ModelSigner.Options options =
          (shards == null
              ? ModelSigner.Options.files()
              : ModelSigner.Options.shards(Sizes.parse("--shards", shards, 1L << 10, 1L << 40)))
          .withIgnorePaths(ignorePaths)
          .withAllowSymlinks(allowSymlinks);
      if (signingCert == null && !certChain.isEmpty()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--cert-chain needs --signing-cert (the certificate method)");
      }
      // Never over an input: the key (it would be lost), a certificate, the model itself.
      List<Path> inputs = new ArrayList<>(List.of(model, privateKey));
      if (signingCert != null) {
        inputs.add(signingCert);
      }
      inputs.addAll(certChain);
      OutputFile.check(signature, inputs.toArray(Path[]::new));
      byte[] keyPem = read(privateKey, "private key file");
      SigningKey key;
      if (signingCert == null) {
        key = SigningKey.fromPem(keyPem, privateKey.toString());
      } else {
        List<byte[]> chain = new ArrayList<>();
        for (Path p : certChain) {
          chain.add(read(p, "certificate chain file"));
        }
        key = SigningKey.withCertificates(
            keyPem, read(signingCert, "signing certificate file"), chain, privateKey.toString());
      }
      Bundle bundle;
      try {
        bundle = ModelSigner.signTo(model, key, options, signature);
      } catch (IOException e) {
        throw new BadInputException(signature + ": cannot write the signature: "
            + OutputFile.why(e), e);
      }
      spec.commandLine().getOut().println(
          "signed " + model + " -> " + signature + " ("
              + (signingCert == null ? "key " + key.hint() : "certificate method") + ", "
              + bundle.payload().length + " byte statement)");
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Verify a model against an OMS bundle: the signature (by --public-key, or by a"
            + " certificate that chains to one of the --cert-chain CAs), then every file.",
        "Exit 0 when it holds; 1 otherwise, naming every added, removed or modified file, or the"
            + " part of the bundle that is wrong; 2 for bad usage or unreadable input."
      })
  static final class Verify implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PATH", description = "the model file or directory")
    Path model;

    @Option(names = "--signature", required = true, paramLabel = "FILE",
        description = "the bundle to verify")
    Path signature;

    @Option(names = "--public-key", paramLabel = "PUB.pem",
        description = "the signer's EC public key, PEM (key method)")
    Path publicKey;

    @Option(names = "--cert-chain", paramLabel = "CA.pem",
        description = "trusted CA certificates, PEM (certificate method; repeatable)")
    List<Path> certChain = new ArrayList<>();

    @Option(names = "--ignore-paths", paramLabel = "P",
        description = "a path to leave out, relative to the model (repeatable)")
    List<Path> ignorePaths = new ArrayList<>();

    @Option(names = "--ignore-unsigned-files",
        description = "tolerate files in the model that the signature does not list")
    boolean ignoreUnsignedFiles;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if ((publicKey == null) == certChain.isEmpty()) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "give exactly one of --public-key or --cert-chain");
      }
      TrustRoot trust = trustRoot(publicKey, certChain);
      ModelVerifier.Options options =
          ModelVerifier.Options.defaults()
              .withIgnorePaths(ignorePaths)
              .withIgnoreUnsignedFiles(ignoreUnsignedFiles);
      VerifiedModel v;
      try {
        v = ModelVerifier.verify(model, signature, trust, options);
      } catch (IOException e) {
        throw new BadInputException(signature + ": cannot read: " + e.getMessage(), e);
      }
      spec.commandLine().getOut().println(
          "verified " + model + ": " + v.manifest().resources().size()
              + " resource(s) match, signed by " + v.signer()
              + (v.legacy() ? " (legacy v0.2 predicate)" : ""));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** The verification's trust: {@code publicKey} if given, else the CA certificates. */
  static TrustRoot trustRoot(Path publicKey, List<Path> certChain) throws BastionException {
    if (publicKey != null) {
      return TrustRoot.publicKeyPem(read(publicKey, "public key file"), publicKey.toString());
    }
    List<byte[]> pems = new ArrayList<>();
    for (Path p : certChain) {
      pems.add(read(p, "certificate file"));
    }
    return TrustRoot.certificatePems(pems);
  }

  private static byte[] read(Path file, String what) throws BadInputException {
    try {
      return InputFiles.read(file, what, MAX_KEY_FILE);
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read the " + what + ": " + e.getMessage(), e);
    }
  }
}
