import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';

/** A uPlot chart that follows its container's width and is rebuilt when its data change. */
export function Chart({ options, data, label }: { options: Omit<Options, 'width'>; data: AlignedData; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    const plot = new uPlot({ ...options, width: Math.max(280, el.clientWidth) } as Options, data, el);
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, el.clientWidth), height: options.height }),
    );
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [options, data]);
  return <div class="chart" ref={host} role="img" aria-label={label} />;
}
