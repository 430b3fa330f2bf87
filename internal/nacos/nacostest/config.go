package nacostest

// configTemplate is a minimal polaris configuration: only the Nacos API
// server, on 127.0.0.1:@PORT@ (gRPC @PORT@+1000), the boltdb store at
// @STORE@, no self-registration. naming.batch and healthcheck.batch must be
// present or polaris panics at start.
const configTemplate = `bootstrap:
  logger:
    default:
      rotateOutputPath: log/polaris-default.log
      errorRotateOutputPath: log/polaris-default-error.log
      outputLevel: info
    nacos-apiserver:
      rotateOutputPath: log/nacos-apiserver.log
      errorRotateOutputPath: log/nacos-apiserver-error.log
      outputLevel: info
  startInOrder:
    open: true
    key: sz
  polaris_service:
    enable_register: false
    isolated: false
    services:
      - name: polaris.checker
        protocols:
          - service-grpc
apiservers:
  - name: service-nacos
    option:
      listenIP: "127.0.0.1"
      listenPort: @PORT@
      defaultNamespace: default
auth:
  user:
    name: defaultUser
    option:
      salt: polarismesh@2021
  strategy:
    name: defaultStrategy
    option:
      consoleOpen: false
      clientOpen: false
namespace:
  autoCreate: true
naming:
  autoCreate: true
  batch:
    register:
      open: true
      queueSize: 10240
      waitTime: 32ms
      maxBatchCount: 128
      concurrency: 128
    deregister:
      open: true
      queueSize: 10240
      waitTime: 32ms
      maxBatchCount: 128
      concurrency: 128
healthcheck:
  open: true
  service: polaris.checker
  slotNum: 30
  minCheckInterval: 1s
  maxCheckInterval: 30s
  clientReportInterval: 120s
  batch:
    heartbeat:
      open: true
      queueSize: 10240
      waitTime: 32ms
      maxBatchCount: 32
      concurrency: 64
  checkers:
    - name: heartbeatMemory
config:
  open: true
  contentMaxLength: 20000
cache:
  diffTime: 5s
store:
  name: boltdbStore
  option:
    path: @STORE@
plugin:
  crypto:
    entries:
      - name: AES
  history:
    entries:
      - name: HistoryLogger
  statis:
    entries:
      - name: local
        option:
          interval: 60
  ratelimit:
    name: token-bucket
    option:
      enable: false
`
