package io.rewind.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made on the spot by the openssl command (Debian's, on every machine that builds Rewind), for the dev stack's
 * TLS listeners and the tests: a CA, and certificates it signs, each as PEM files (the key in PKCS#8) and a PKCS#12 store
 * for Java. None is checked in; they are valid for two days.
 */
public final class Certificates {
    /** The password of every PKCS#12 store. */
    public static final String PASSWORD = "rewind-test";
    private final Path dir;

    /** A new CA in {@code dir}. */
    public Certificates(Path dir) throws IOException {
        this(dir, true);
    }

    /** The CA in {@code dir}: a new one, or the one made there before. */
    Certificates(Path dir, boolean create) throws IOException {
        this.dir = dir;
        if (!create) {
            if (!Files.exists(ca())) {
                throw new IOException("no CA in " + dir);
            }
            return;
        }
        Files.createDirectories(dir);
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                "/CN=rewind-test-ca");
    }

    public Path ca() {
        return dir.resolve("ca.pem");
    }

    public Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    /** A certificate for {@code name} (its CN), valid for 127.0.0.1, signed by the CA. */
    public void issue(String name) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
                "-days", "2", "-extfile", name + ".ext");
        openssl("pkcs12", "-export", "-in", name + ".pem", "-inkey", name + ".key", "-out", name + ".p12", "-passout", "pass:" + PASSWORD);
    }

    /** The PKCS#12 store of {@code name}'s certificate and key (password {@link #PASSWORD}). */
    public Path store(String name) {
        return dir.resolve(name + ".p12");
    }

    /** A client's TLS context: trusting the CA, and showing {@code client}'s certificate when given. */
    public SSLContext client(String client) throws IOException {
        try {
            return context(client);
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the test certificates in " + dir + ": " + e.getMessage(), e);
        }
    }

    private SSLContext context(String client) throws IOException, java.security.GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(ca())) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trusts = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trusts.init(trust);
        KeyManagerFactory keys = null;
        if (client != null) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(dir.resolve(client + ".p12"))) {
                store.load(in, PASSWORD.toCharArray());
            }
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, PASSWORD.toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trusts.getTrustManagers(), null);
        return context;
    }

    private void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run openssl to make test certificates (install Debian's openssl package): " + e.getMessage(), e);
        }
        String out = new String(process.getInputStream().readAllBytes());
        try {
            if (process.waitFor() != 0) {
                throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making test certificates", e);
        }
    }
}
