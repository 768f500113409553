package io.rewind.service.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS on a port Rewind serves (the tap's port, the admin ports): a certificate chain and its key in PEM files, TLS 1.3 and
 * 1.2, client certificates asked or required against a CA file (mutual TLS). The files are read again when they change, so a
 * renewed certificate is served to new connections without a restart; files that do not load, or a certificate that does
 * not match its key (a renewal half written), leave the last good pair in use, and say so.
 *
 * <p>The key and trust managers it hands out stay the same objects across reloads: a TLS context built on them once (the
 * JDK's, or Netty's) serves whatever was loaded last.
 */
public final class ServerTls implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    /** The TLS versions served. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final String ALIAS = "rewind";
    private static final char[] NO_PASSWORD = new char[0];
    private static final Pattern PKCS8 = Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /** Whether a port takes TLS. */
    public enum Mode {
        OFF, OPTIONAL, REQUIRED
    }

    /** Whether a client must show a certificate the CA file signed. */
    public enum ClientCertificates {
        NONE, OPTIONAL, REQUIRE
    }

    /** The settings of one port, as {@link TlsSettings} reads them; {@code prefix} names them in messages ({@code tls.}). */
    public record Settings(String prefix, Mode mode, Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> caFile,
            ClientCertificates clientCertificates, long reloadIntervalMs) {
        /** TLS off. */
        public static Settings off(String prefix) {
            return new Settings(prefix, Mode.OFF, Optional.empty(), Optional.empty(), Optional.empty(), ClientCertificates.NONE, 30_000);
        }

        /** What is wrong with them, for the configuration's report; empty when they can be used. */
        public List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (mode == Mode.OFF) {
                return problems;
            }
            if (certFile.isEmpty() || keyFile.isEmpty()) {
                problems.add(prefix + "mode=" + mode.name().toLowerCase() + " needs " + prefix + "cert.file and " + prefix + "key.file (PEM)");
            }
            if (mode == Mode.OPTIONAL && clientCertificates == ClientCertificates.REQUIRE) {
                problems.add(plaintextBypassesClientCertificates());
            }
            if (clientCertificates != ClientCertificates.NONE && caFile.isEmpty()) {
                problems.add(prefix + "client.auth=" + clientCertificates.name().toLowerCase() + " needs " + prefix
                        + "ca.file (PEM): the CA that signs the clients' certificates");
            }
            for (Optional<Path> file : List.of(certFile, keyFile, caFile)) {
                file.filter(f -> !Files.isReadable(f)).ifPresent(f -> problems.add("cannot read " + f));
            }
            return problems;
        }

        /** Mutual TLS required on a port that also takes plaintext: a plaintext connection would skip the certificate check. */
        private String plaintextBypassesClientCertificates() {
            return "The '" + prefix + "client.auth' value 'require' is invalid: " + prefix + "mode=optional also takes plaintext"
                    + " connections, which show no certificate: set " + prefix + "mode=required for mutual TLS (or " + prefix
                    + "client.auth=optional)";
        }
    }

    private final Settings settings;
    private final String port;
    private final ReloadingKeyManager keys = new ReloadingKeyManager();
    private final ReloadingTrustManager trust = new ReloadingTrustManager();
    private final ScheduledExecutorService reloads;
    private List<FileTime> loaded;

    private ServerTls(Settings settings, String port) throws IOException {
        this.settings = settings;
        this.port = port;
        this.loaded = stamps();
        load();
        this.reloads = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rewind-tls-reload");
            t.setDaemon(true);
            return t;
        });
        reloads.scheduleWithFixedDelay(this::reloadIfChanged, settings.reloadIntervalMs(), settings.reloadIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /**
     * TLS as configured, or empty when it is off; fails naming the file that does not load, and refuses client certificates
     * required on a port that also takes plaintext ({@link Settings#problems()} names that to the configuration).
     *
     * @param port what the port is, for messages ("the tap's port", "the admin port")
     */
    public static Optional<ServerTls> start(Settings settings, String port) throws IOException {
        if (settings.mode() == Mode.OPTIONAL && settings.clientCertificates() == ClientCertificates.REQUIRE) {
            throw new IllegalArgumentException(settings.plaintextBypassesClientCertificates());
        }
        return settings.mode() == Mode.OFF ? Optional.empty() : Optional.of(new ServerTls(settings, port));
    }

    public Settings settings() {
        return settings;
    }

    /** Serves the certificate loaded last. */
    public X509ExtendedKeyManager keyManager() {
        return keys;
    }

    /** Checks client certificates against the CA file loaded last; empty when client certificates are not asked for. */
    public Optional<X509ExtendedTrustManager> trustManager() {
        return settings.clientCertificates() == ClientCertificates.NONE ? Optional.empty() : Optional.of(trust);
    }

    /** A JDK TLS context on these managers. */
    public SSLContext sslContext() throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {keys},
                    trustManager().map(t -> new javax.net.ssl.TrustManager[] {t}).orElse(null), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS on " + port + ": " + e.getMessage(), e);
        }
    }

    /** The parameters of a connection on a JDK context: the TLS versions served and the client certificates asked for. */
    public SSLParameters parameters(SSLContext context) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(PROTOCOLS);
        switch (settings.clientCertificates()) {
            case REQUIRE -> parameters.setNeedClientAuth(true);
            case OPTIONAL -> parameters.setWantClientAuth(true);
            case NONE -> { }
        }
        return parameters;
    }

    private void load() throws IOException {
        Path certFile = settings.certFile().orElseThrow();
        Path keyFile = settings.keyFile().orElseThrow();
        try {
            List<X509Certificate> chain = certificates(certFile);
            PrivateKey key = privateKey(keyFile);
            if (!matches(key, chain.get(0).getPublicKey())) {
                throw new IOException("the certificate " + certFile + " is not the one of the key " + keyFile);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, NO_PASSWORD, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyFactory.init(store, NO_PASSWORD);
            X509ExtendedTrustManager trusted = null;
            if (settings.clientCertificates() != ClientCertificates.NONE) {
                KeyStore cas = KeyStore.getInstance("PKCS12");
                cas.load(null, null);
                int i = 0;
                for (X509Certificate ca : certificates(settings.caFile().orElseThrow())) {
                    cas.setCertificateEntry("ca-" + i++, ca);
                }
                TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trustFactory.init(cas);
                trusted = (X509ExtendedTrustManager) trustFactory.getTrustManagers()[0];
            }
            keys.delegate = (X509ExtendedKeyManager) keyFactory.getKeyManagers()[0];
            if (trusted != null) {
                trust.delegate = trusted;
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the TLS certificate " + certFile + " and key " + keyFile + " of " + port + ": " + e.getMessage(), e);
        }
    }

    /** The certificates of a PEM file, the first being the server's own (or the CAs of a CA file). */
    static List<X509Certificate> certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> chain = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (chain.isEmpty()) {
                throw new IOException(file + " holds no PEM certificate");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IOException(file + " holds no readable PEM certificate: " + e.getMessage(), e);
        }
    }

    /** An unencrypted PKCS#8 private key ({@code BEGIN PRIVATE KEY}) of any algorithm the JDK has. */
    static PrivateKey privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher pem = PKCS8.matcher(text);
        if (!pem.find()) {
            String convert = ": convert it with 'openssl pkcs8 -topk8 -nocrypt -in " + file + " -out <new file>'";
            if (text.contains("ENCRYPTED PRIVATE KEY")) {
                throw new IOException(file + " holds an encrypted key; Rewind reads an unencrypted PKCS#8 key" + convert);
            }
            if (text.contains("RSA PRIVATE KEY") || text.contains("EC PRIVATE KEY")) {
                throw new IOException(file + " holds a key in the older PKCS#1/SEC1 form; Rewind reads PKCS#8 ('BEGIN PRIVATE KEY')" + convert);
            }
            throw new IOException(file + " holds no PEM private key ('-----BEGIN PRIVATE KEY-----')");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(1)));
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException notThisOne) {
                // the next algorithm
            }
        }
        throw new IOException(file + " holds a private key of an algorithm Rewind cannot use (RSA, EC, Ed25519, Ed448)");
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, PublicKey certified) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
            return false;
        }
        byte[] probe = "rewind".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        if (algorithm.equals("RSASSA-PSS")) {
            signer.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                    java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
        }
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        signer.initVerify(certified);
        signer.update(probe);
        return signer.verify(signature);
    }

    private List<FileTime> stamps() throws IOException {
        List<FileTime> times = new ArrayList<>();
        for (Optional<Path> file : List.of(settings.certFile(), settings.keyFile(), settings.caFile())) {
            times.add(file.isPresent() ? Files.getLastModifiedTime(file.get()) : FileTime.fromMillis(0));
        }
        return times;
    }

    private void reloadIfChanged() {
        try {
            List<FileTime> now = stamps();
            if (now.equals(loaded)) {
                return;
            }
            load();
            loaded = now;
            LOG.info("Reloaded the TLS certificate {} of {}: new connections get it", settings.certFile().orElseThrow(), port);
        } catch (IOException | RuntimeException e) {
            LOG.warn("The TLS files of {} changed but do not load; connections keep the last good certificate: {}", port, e.getMessage());
        }
    }

    @Override
    public void close() {
        reloads.shutdownNow();
    }

    /** The key manager of the certificate loaded last. */
    private static final class ReloadingKeyManager extends X509ExtendedKeyManager {
        volatile X509ExtendedKeyManager delegate;

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }

    /** The trust manager of the CA file loaded last. */
    private static final class ReloadingTrustManager extends X509ExtendedTrustManager {
        volatile X509ExtendedTrustManager delegate;

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            delegate.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            delegate.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
