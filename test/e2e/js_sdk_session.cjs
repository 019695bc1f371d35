// A session with the AWS SDK for JavaScript v3 (@aws-sdk/client-ecr)
// against ecrd, for test_js_sdk.py: it runs the calls and prints what it
// saw as one JSON object, which the Python test checks.
//
//   ECRD_ENDPOINT=http://127.0.0.1:PORT ECRD_ACCOUNT=<12 digits> \
//   ECRD_PREFIX=<name prefix> node js_sdk_session.cjs
"use strict";

const crypto = require("crypto");
const ecr = require("@aws-sdk/client-ecr");

const endpoint = process.env.ECRD_ENDPOINT;
const prefix = process.env.ECRD_PREFIX;
const client = new ecr.ECRClient({
  endpoint,
  region: "us-east-1",
  maxAttempts: 1,
  // A 12-digit access key id is that account (README, "Accounts").
  credentials: {
    accessKeyId: process.env.ECRD_ACCOUNT,
    secretAccessKey: "js-sdk-secret",
  },
});

const sha256 = (buf) =>
  "sha256:" + crypto.createHash("sha256").update(buf).digest("hex");

async function error(command) {
  try {
    await client.send(command);
    return { thrown: false };
  } catch (e) {
    return {
      thrown: true,
      name: e.name,
      message: e.message,
      status: e.$metadata && e.$metadata.httpStatusCode,
      fault: e.$fault,
      isRepositoryNotFound: e instanceof ecr.RepositoryNotFoundException,
      isInvalidParameter: e instanceof ecr.InvalidParameterException,
      isServiceException: e instanceof ecr.ECRServiceException,
    };
  }
}

async function uploadLayer(repositoryName, data, partSize) {
  const init = await client.send(
    new ecr.InitiateLayerUploadCommand({ repositoryName }),
  );
  const parts = [];
  for (let at = 0; at < data.length; at += partSize) {
    const end = Math.min(at + partSize, data.length);
    const r = await client.send(
      new ecr.UploadLayerPartCommand({
        repositoryName,
        uploadId: init.uploadId,
        partFirstByte: at,
        partLastByte: end - 1,
        layerPartBlob: data.subarray(at, end),
      }),
    );
    parts.push(r.lastByteReceived);
  }
  const done = await client.send(
    new ecr.CompleteLayerUploadCommand({
      repositoryName,
      uploadId: init.uploadId,
      layerDigests: [sha256(data)],
    }),
  );
  return { partSize: init.partSize, parts, digest: done.layerDigest };
}

async function main() {
  const out = {};
  const names = [0, 1, 2].map((i) => `${prefix}-${i}`);
  out.created = [];
  for (const repositoryName of names) {
    const r = await client.send(
      new ecr.CreateRepositoryCommand({ repositoryName }),
    );
    out.created.push(r.repository.repositoryUri);
  }

  // Pages of one: the paginator follows nextToken to the end.
  out.pages = [];
  for await (const page of ecr.paginateDescribeRepositories(
    { client, pageSize: 1 },
    {},
  )) {
    out.pages.push(page.repositories.map((r) => r.repositoryName));
  }

  const token = await client.send(new ecr.GetAuthorizationTokenCommand({}));
  const data = token.authorizationData[0];
  out.token = {
    user: Buffer.from(data.authorizationToken, "base64")
      .toString()
      .split(":")[0],
    expiresAtIsDate: data.expiresAt instanceof Date,
    hoursLeft: (data.expiresAt - Date.now()) / 3600000,
    proxyEndpoint: data.proxyEndpoint,
  };

  const repositoryName = names[0];
  // ECR's parts but the last are 5 MiB at least.
  const layer = crypto.randomBytes(10 * 1024 * 1024 + 17);
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  out.layer = await uploadLayer(repositoryName, layer, 5 * 1024 * 1024);
  out.layerDigestWanted = sha256(layer);
  out.config = await uploadLayer(repositoryName, config, 5 * 1024 * 1024);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(config),
      size: config.length,
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar",
        digest: sha256(layer),
        size: layer.length,
      },
    ],
  });
  const put = await client.send(
    new ecr.PutImageCommand({
      repositoryName,
      imageManifest: manifest,
      imageTag: "v1",
    }),
  );
  out.put = { digest: put.image.imageId.imageDigest, wanted: sha256(manifest) };
  const got = await client.send(
    new ecr.BatchGetImageCommand({
      repositoryName,
      imageIds: [{ imageTag: "v1" }, { imageTag: "missing" }],
    }),
  );
  out.get = {
    manifestsEqual: got.images[0].imageManifest === manifest,
    mediaType: got.images[0].imageManifestMediaType,
    digest: got.images[0].imageId.imageDigest,
    failures: got.failures.map((f) => f.failureCode),
  };

  out.notFound = await error(
    new ecr.DescribeRepositoriesCommand({
      repositoryNames: [`${prefix}-missing`],
    }),
  );
  out.invalid = await error(
    new ecr.CreateRepositoryCommand({ repositoryName: "Upper/Case" }),
  );
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n${e.stack}\n`);
  process.exit(1);
});
