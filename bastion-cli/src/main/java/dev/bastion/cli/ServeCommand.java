package dev.bastion.cli;

import dev.bastion.pipeline.Home;
import dev.bastion.serve.Gateway;
import dev.bastion.serve.ServedModel;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    description = "Serve a registered model over mTLS after verifying its whole chain.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--model", defaultValue = "credit-risk", description = "registered model name")
  String model;

  @Option(names = "--port", defaultValue = "8443", description = "port on 127.0.0.1")
  int port;

  @Option(names = "--rate", defaultValue = "20", description = "requests per second per identity")
  long rate;

  @Override
  public Integer call() throws Exception {
    try (Home home = Home.open(Home.defaultDir())) {
      ServedModel served =
          ServedModel.load(model, home.registry(), home.chainVerifier(), home.trust(),
              home.integrity().openSession("serve"));
      try (Gateway g =
          Gateway.start(Gateway.Config.defaults().withPort(port).withRate(rate, 2 * rate), served,
              home.keyring(), home.trust(), home.ledger())) {
        System.out.println("serving " + served.name() + " v" + served.version() + " ("
            + served.digest() + ") on https://127.0.0.1:" + g.port()
            + " (TLS 1.3, client certificate required)");
        g.join();
      }
    }
    return 0;
  }
}
