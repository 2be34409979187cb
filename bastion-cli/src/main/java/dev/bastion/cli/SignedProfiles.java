package dev.bastion.cli;

import dev.bastion.attest.Envelope;
import dev.bastion.attest.Statement;
import dev.bastion.core.BadInputException;
import dev.bastion.core.BastionException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.VerificationException;
import dev.bastion.data.profile.Profile;
import dev.bastion.pipeline.Home;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Profiles as signed artifacts: a DSSE envelope over an in-toto Statement whose subjects are the
 * profiled files (by SHA-256) and whose predicate is the profile's canonical JSON, signed by the
 * home's {@code ingest} identity and verified against the home's trust before use.
 */
final class SignedProfiles {
  /** The identity that signs profiles. */
  static final String SIGNER = "ingest";

  /** Largest profile envelope read. */
  static final long MAX_BYTES = 64L << 20;

  private SignedProfiles() {}

  /** The signed envelope's JSON bytes. */
  static byte[] sign(Home home, Profile profile) throws BastionException, IOException {
    Map<String, Digest> subjects = new LinkedHashMap<>();
    for (Profile.Source s : profile.sources()) {
      String name = s.name();
      for (int i = 2; subjects.containsKey(name); i++) {
        name = s.name() + "#" + i; // the same file name appended twice
      }
      subjects.put(name, s.sha256());
    }
    Statement st = new Statement(subjects, Profile.PREDICATE_TYPE, profile.toJsonNode());
    return st.sign(home.keyring().signer(SIGNER)).toJson();
  }

  /**
   * Reads a signed profile, verifying its signature and predicate type first (fail closed).
   *
   * @throws VerificationException naming the file, if the signature or the type is wrong
   * @throws BadInputException naming the file, if it is not a profile envelope
   */
  static Profile read(Home home, Path file) throws BastionException, IOException {
    byte[] bytes = InputFiles.read(file, "signed profile", MAX_BYTES);
    String where = file.toString();
    Envelope env = Envelope.parse(bytes, where);
    Statement st = Statement.verify(env, home.trust(), SIGNER, Profile.PREDICATE_TYPE, where);
    Profile p = Profile.fromJson(st.predicate(), where);
    if (p.sources().size() != st.subjects().size()
        || !p.sources().stream().map(Profile.Source::sha256).toList()
            .equals(st.subjectDigests())) {
      throw new VerificationException(where + ": the statement's subjects are not the profile's"
          + " sources");
    }
    return p;
  }
}
