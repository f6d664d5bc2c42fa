// Upload one file to the reference server with tus-js-client, resuming after every cut, and
// print one JSON line of what happened. Run by tests/server/test_server_tus_clients.py:
//   node upload.js '{"endpoint": ..., "token": ..., "path": ..., "metadata": {...}, "overridePatchMethod": false}'
'use strict'

const fs = require('node:fs')
const tus = require('tus-js-client')

const options = JSON.parse(process.argv[2])
const data = fs.readFileSync(options.path)
const report = { url: null, bytes: data.length, heads: 0, patchOffsets: [], retries: 0 }

const upload = new tus.Upload(data, {
  endpoint: options.endpoint,
  headers: { Authorization: `Bearer ${options.token}` },
  metadata: options.metadata,
  overridePatchMethod: Boolean(options.overridePatchMethod),
  // Each cut is retried at once; the attempt counter resets whenever the offset moved forward.
  retryDelays: new Array(20).fill(0),
  onShouldRetry (err, attempt, opts) {
    report.retries += 1
    return tus.defaultOptions.onShouldRetry(err, attempt, opts)
  },
  onBeforeRequest (req) {
    const method = req.getHeader('X-HTTP-Method-Override') || req.getMethod()
    if (method === 'HEAD') report.heads += 1
    if (method === 'PATCH') report.patchOffsets.push(Number(req.getHeader('Upload-Offset')))
  },
  onSuccess () {
    report.url = upload.url
    process.stdout.write(`${JSON.stringify(report)}\n`)
  },
  onError (err) {
    process.stdout.write(`${JSON.stringify({ ...report, error: String(err) })}\n`)
    process.exitCode = 1
  }
})
upload.start()
