// One tree-shaken ECharts build for every chart in the studio.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart, HeatmapChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent, DataZoomComponent, VisualMapComponent, MarkLineComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import type { ComposeOption } from 'echarts/core';
import type { BarSeriesOption, LineSeriesOption, ScatterSeriesOption, HeatmapSeriesOption } from 'echarts/charts';
import type {
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  TitleComponentOption,
  DataZoomComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';

echarts.use([BarChart, LineChart, ScatterChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent, DataZoomComponent, VisualMapComponent, MarkLineComponent, CanvasRenderer, SVGRenderer]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | ScatterSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | TitleComponentOption
  | DataZoomComponentOption
  | VisualMapComponentOption
>;
export { echarts };
