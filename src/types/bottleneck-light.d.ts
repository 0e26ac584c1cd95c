// The light build of Bottleneck (no Redis), the one the Octokit plugins import: the same class as the package's main entry.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
