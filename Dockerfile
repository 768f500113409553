# Rewind's image: the tap, the archiver and the command line, built from this repository with its Maven wrapper.
# docker-compose.yml runs it as 'tap', 'archiver' and, on demand, as the command line's verbs.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
# One reactor build packages the three components and copies what each needs at run time into one directory.
RUN ./mvnw -B -ntp -q -DskipTests -pl ingest-tap,stream-archiver,cli -am \
        package dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=/opt/rewind/lib \
 && cp ingest-tap/target/rewind-ingest-tap-*.jar stream-archiver/target/rewind-stream-archiver-*.jar \
       cli/target/rewind-cli-*.jar /opt/rewind/lib/

FROM eclipse-temurin:17-jre
# curl answers docker-compose.yml's health checks (the admin port's /healthz): the base image does not promise it.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/rewind/lib /opt/rewind/lib
COPY docker/rewind /opt/rewind/bin/rewind
RUN chmod 755 /opt/rewind/bin/rewind && mkdir -p /var/lib/rewind
# 4242: the tap's telnet and HTTP port (a TSD's); 9472 and 9471: the tap's and the archiver's admin ports.
EXPOSE 4242 9472 9471
ENTRYPOINT ["/opt/rewind/bin/rewind"]
CMD ["--help"]
